/*
 * openapi.h - the control API's OpenAPI 3.1 document, generated from the
 * route table (router.h) so that what is documented is what is routed.
 */
#ifndef DXT_API_OPENAPI_H
#define DXT_API_OPENAPI_H

#include <jansson.h>

/*
 * Builds the document: one path item per route template, one operation per
 * route with its path and query parameters, request body media types,
 * success response and the error responses it can give (all in the one
 * error envelope), the bearer security scheme (left out of /healthz and
 * /readyz) and the component schemas. Returns a new reference, or NULL when
 * out of memory. Thread-safe; the server builds it once at start.
 */
json_t *dxt_api_openapi(void);

#endif /* DXT_API_OPENAPI_H */
