/*
 * test_sdnotify.c - READY/STATUS datagrams reach $NOTIFY_SOCKET.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/sdnotify.h"

static int bind_socket(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

START_TEST(sends_datagrams)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/tmp/dxt-notify-%d", (int)getpid());
	fd = bind_socket(path);
	setenv("NOTIFY_SOCKET", path, 1);
	ck_assert_int_eq(dxt_sd_notify("READY=1"), 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_eq(n, 7);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "READY=1");
	ck_assert_int_eq(dxt_sd_status("serving on %s:%d", "127.0.0.1", 8710), 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "STATUS=serving on 127.0.0.1:8710");
	close(fd);
	unlink(path);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

START_TEST(no_socket_is_a_no_op)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(dxt_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	ck_assert_int_lt(dxt_sd_notify("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

Suite *dxt_test_sdnotify(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sends_datagrams);
	tcase_add_test(tc, no_socket_is_a_no_op);
	suite_add_tcase(s, tc);
	return s;
}
