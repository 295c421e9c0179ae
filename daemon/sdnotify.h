/*
 * sdnotify.h - the systemd notification protocol (sd_notify(3)) without
 * libsystemd: one datagram to the unix socket named by $NOTIFY_SOCKET.
 *
 * Messages are newline-separated assignments: "READY=1",
 * "STATUS=serving on 127.0.0.1:8710", "STOPPING=1". Without NOTIFY_SOCKET
 * (not started by systemd with Type=notify) every call is a no-op.
 * Thread-safe.
 */
#ifndef DXT_DAEMON_SDNOTIFY_H
#define DXT_DAEMON_SDNOTIFY_H

/* Sends `state`. Returns 1 when sent, 0 when there is no socket, or a
 * negative errno. */
int dxt_sd_notify(const char *state);

/* Sends "STATUS=<formatted text>". */
int dxt_sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* DXT_DAEMON_SDNOTIFY_H */
