/* Every client-side function of libclerk against the emulator: results, error paths and
 * the misuse matrix (NULLs, invalid UTF-8, invalid JSON, unknown names, wrong types). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json_scan.h"

static const char *BAD_UTF8 = "\xff\xfe";
static char config[1024];

static clerk_client *new_client(const char *json_config) {
    clerk_client *client = NULL;
    char *json = NULL;
    clerk_result rc = clerk_client_new(json_config, &client, &json);
    if (rc != CLERK_RESULT_OK) {
        fprintf(stderr, "clerk_client_new failed: %s %s\n", clerk_result_name(rc), json);
        exit(2);
    }
    return client;
}

static void test_static_functions(void) {
    const char *version = clerk_version();
    CHECK(version != NULL && version[0] >= '0' && version[0] <= '9');
    CHECK(strcmp(clerk_result_name(CLERK_RESULT_OK), "CLERK_RESULT_OK") == 0);
    CHECK(strcmp(clerk_result_name(CLERK_RESULT_DONE), "CLERK_RESULT_DONE") == 0);
    CHECK(strcmp(clerk_result_name(CLERK_RESULT_PANIC), "CLERK_RESULT_PANIC") == 0);
    CHECK(strcmp(clerk_result_name(CLERK_RESULT_VERIFICATION), "CLERK_RESULT_VERIFICATION") == 0);
    CHECK(strcmp(clerk_result_name(4242), "CLERK_RESULT_UNKNOWN") == 0);
    /* Every destructor accepts NULL. */
    clerk_string_free(NULL);
    clerk_client_free(NULL);
    clerk_pager_free(NULL);
    CHECK(1);
}

static void test_client_new(const char *api_url, const char *secret_key) {
    clerk_client *client = NULL;
    clerk_client *sentinel = (clerk_client *)&client; /* any non-NULL address */
    char *json = NULL;
    char env_config[512];

    EXPECT(clerk_client_new(config, &client, &json), CLERK_RESULT_OK, json, NULL);
    CHECK(client != NULL);
    clerk_client_free(client);

    /* NULL and "" read the environment; without CLERK_SECRET_KEY that is a config error. */
    unsetenv("CLERK_SECRET_KEY");
    client = sentinel;
    EXPECT(clerk_client_new(NULL, &client, &json), CLERK_RESULT_CONFIG, json,
           "\"kind\":\"config\"");
    CHECK(client == sentinel); /* outputs are written only on success */
    setenv("CLERK_SECRET_KEY", secret_key, 1);
    setenv("CLERK_API_URL", api_url, 1);
    EXPECT(clerk_client_new(NULL, &client, &json), CLERK_RESULT_OK, json, NULL);
    CHECK(client != sentinel && client != NULL);
    clerk_client_free(client);
    EXPECT(clerk_client_new("", &client, &json), CLERK_RESULT_OK, json, NULL);
    clerk_client_free(client);
    snprintf(env_config, sizeof env_config,
             "{\"from_env\": true, \"timeout_request_ms\": 5000, \"user_agent\": \"c-test/1\"}");
    EXPECT(clerk_client_new(env_config, &client, &json), CLERK_RESULT_OK, json, NULL);
    clerk_client_free(client);

    /* Every key of the builder. */
    snprintf(env_config, sizeof env_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"%s\", \"api_version\": \"2026-05-12\","
             " \"user_agent\": \"c-test/1\", \"timeout_connect_ms\": 2000,"
             " \"timeout_request_ms\": 5000, \"max_response_bytes\": 1048576,"
             " \"retry\": {\"max_attempts\": 2, \"initial_backoff_ms\": 10,"
             " \"max_backoff_ms\": 20, \"max_elapsed_ms\": 1000},"
             " \"root_certificates\": \"webpki\", \"proxy_from_env\": false}",
             secret_key, api_url);
    EXPECT(clerk_client_new(env_config, &client, &json), CLERK_RESULT_OK, json, NULL);
    clerk_client_free(client);

    client = sentinel;
    EXPECT(clerk_client_new("{", &client, &json), CLERK_RESULT_INVALID_JSON, json,
           "\"kind\":\"invalid_json\"");
    EXPECT(clerk_client_new("[1, 2]", &client, &json), CLERK_RESULT_INVALID_JSON, json,
           "expected a JSON object");
    EXPECT(clerk_client_new("{\"secret_kye\": \"x\"}", &client, &json),
           CLERK_RESULT_INVALID_JSON, json, "secret_kye");
    /* Unknown keys are named beside the keys accepted, at every level. */
    EXPECT(clerk_client_new("{\"secret_kye\": \"x\"}", &client, &json),
           CLERK_RESULT_INVALID_JSON, json, "expected one of `from_env`, `secret_key`");
    EXPECT(clerk_client_new("{\"retry\": {\"attempts\": 2}}", &client, &json),
           CLERK_RESULT_INVALID_JSON, json, "unknown field `attempts`, expected one of `max_attempts`");
    EXPECT(clerk_client_new("{\"header\": {\"X-A\": \"1\"}}", &client, &json),
           CLERK_RESULT_INVALID_JSON, json, "`headers`");
    /* Extra headers: an object of names to strings; the client's own headers are refused. */
    EXPECT(clerk_client_new("{\"headers\": {\"X-A\": 1}}", &client, &json),
           CLERK_RESULT_INVALID_JSON, json, "`headers`");
    EXPECT(clerk_client_new("{\"headers\": [\"X-A\"]}", &client, &json),
           CLERK_RESULT_INVALID_JSON, json, "`headers`");
    EXPECT(clerk_client_new("{\"headers\": {\"Authorization\": \"Bearer x\"}}", &client, &json),
           CLERK_RESULT_CONFIG, json, "Authorization");
    EXPECT(clerk_client_new("{\"headers\": {\"X-Bad\": \"a\\r\\nb\"}}", &client, &json),
           CLERK_RESULT_CONFIG, json, "X-Bad");
    CHECK(client == sentinel);
    snprintf(env_config, sizeof env_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"%s\","
             " \"headers\": {\"X-Gateway\": \"edge-1\", \"X-Trace\": \"t\\tab\"}}",
             secret_key, api_url);
    EXPECT(clerk_client_new(env_config, &client, &json), CLERK_RESULT_OK, json, NULL);
    EXPECT(clerk_client_call(client, "GetUserList", "{\"limit\": 1}", &json), CLERK_RESULT_OK,
           json, "[");
    clerk_client_free(client);
    client = sentinel;
    EXPECT(clerk_client_new("{\"timeout_request_ms\": \"soon\"}", &client, &json),
           CLERK_RESULT_INVALID_JSON, json, "invalid_json");
    EXPECT(clerk_client_new("{\"api_url\": \"ftp://example.com\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "\"kind\":\"config\"");
    EXPECT(clerk_client_new("{\"retry\": {\"max_attempts\": 0}}", &client, &json),
           CLERK_RESULT_CONFIG, json, "max_attempts");
    EXPECT(clerk_client_new("{\"root_certificates_pem\": \"garbage\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "\"kind\":\"config\"");
    /* Values are checked when the client is made, naming the setting, never at a call. */
    EXPECT(clerk_client_new("{\"api_url\": \"http://[::1\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "api_url \\\"http://[::1\\\" has an unclosed");
    EXPECT(clerk_client_new("{\"api_url\": \"http://127.0.0.1:1?x\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "must not have a query");
    EXPECT(clerk_client_new("{\"api_url\": \"http://127.0.0.1:99999\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "1..=65535");
    EXPECT(clerk_client_new("{\"api_url\": \"https://u:p@api.clerk.com\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "userinfo");
    EXPECT(clerk_client_new("{\"api_url\": \"https://api.clerk.com#top\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "fragment");
    EXPECT(clerk_client_new("{\"timeout_request_ms\": 0}", &client, &json), CLERK_RESULT_CONFIG,
           json, "timeout_request must be between 1 ms and 10 min, got 0 ms");
    EXPECT(clerk_client_new("{\"timeout_connect_ms\": 600001}", &client, &json),
           CLERK_RESULT_CONFIG, json, "timeout_connect must be between 1 ms and 10 min");
    EXPECT(clerk_client_new("{\"max_response_bytes\": 0}", &client, &json), CLERK_RESULT_CONFIG,
           json, "max_response_bytes must be between 1 and 1073741824");
    EXPECT(clerk_client_new("{\"retry\": {\"max_attempts\": 11}}", &client, &json),
           CLERK_RESULT_CONFIG, json, "max_attempts must be between 1 and 10");
    EXPECT(clerk_client_new("{\"retry\": {\"max_elapsed_ms\": 0}}", &client, &json),
           CLERK_RESULT_CONFIG, json, "max_elapsed");
    EXPECT(clerk_client_new("{\"retry\": {\"initial_backoff_ms\": 500, \"max_backoff_ms\": 100}}",
                            &client, &json),
           CLERK_RESULT_CONFIG, json, "max_backoff");
    EXPECT(clerk_client_new("{\"root_certificates_pem\": \"-----BEGIN CERTIFICATE-----\\nAAAA\\n"
                            "-----END CERTIFICATE-----\\n\"}",
                            &client, &json),
           CLERK_RESULT_CONFIG, json, "root_certificates: certificate 1 of the PEM data");
    EXPECT(clerk_client_new("{\"root_certificates_pem\": \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n"
                            "-----END PRIVATE KEY-----\\n\"}",
                            &client, &json),
           CLERK_RESULT_CONFIG, json, "no CERTIFICATE block");
    CHECK(client == sentinel);
    EXPECT(clerk_client_new(BAD_UTF8, &client, &json), CLERK_RESULT_INVALID_UTF8, json,
           "config_json");
    EXPECT(clerk_client_new(config, NULL, &json), CLERK_RESULT_NULL_PARAMETER, json,
           "client_out");
    CHECK(client == sentinel);
    CHECK(clerk_client_new(config, &client, NULL) == CLERK_RESULT_NULL_PARAMETER);
    CHECK(client == sentinel);
}

static void test_call(clerk_client *client) {
    char *json = NULL;
    char params[256];
    char user_id[128] = "";

    EXPECT(clerk_client_call(client, "CreateUser",
                             "{\"first_name\": \"Ada\", \"last_name\": \"Lovelace\"}", &json),
           CLERK_RESULT_OK, json, "Lovelace");
    CHECK(clerk_client_call(client, "GetUserList", "{\"limit\": 1}", &json) == CLERK_RESULT_OK);
    CHECK(json != NULL && count_top_level_items(json) == 1);
    CHECK(json != NULL && string_field(json, "id", user_id, sizeof user_id));
    clerk_string_free(json);
    json = NULL;

    snprintf(params, sizeof params, "{\"user_id\": \"%s\"}", user_id);
    EXPECT(clerk_client_call(client, "GetUser", params, &json), CLERK_RESULT_OK, json, user_id);
    /* NULL and "" params mean {}. */
    EXPECT(clerk_client_call(client, "GetUserList", NULL, &json), CLERK_RESULT_OK, json, user_id);
    EXPECT(clerk_client_call(client, "GetUserList", "", &json), CLERK_RESULT_OK, json, user_id);

    /* An API error carries status, Clerk's errors and the trace id. */
    EXPECT(clerk_client_call(client, "GetUser", "{\"user_id\": \"user_does_not_exist\"}", &json),
           CLERK_RESULT_API, json, "\"status\":404");
    EXPECT(clerk_client_call(client, "GetUser", "{\"user_id\": \"user_does_not_exist\"}", &json),
           CLERK_RESULT_API, json, "\"errors\":[{\"code\":\"resource_not_found\"");
    EXPECT(clerk_client_call(client, "GetUser", "{\"user_id\": \"user_does_not_exist\"}", &json),
           CLERK_RESULT_API, json, "\"clerk_trace_id\":");

    /* Misuse matrix. */
    EXPECT(clerk_client_call(client, "NoSuchOperation", NULL, &json),
           CLERK_RESULT_UNKNOWN_OPERATION, json, "NoSuchOperation");
    EXPECT(clerk_client_call(client, "users.nope", NULL, &json), CLERK_RESULT_UNKNOWN_OPERATION,
           json, "\"kind\":\"unknown_operation\"");
    EXPECT(clerk_client_call(client, "GetUserList", "{\"no_such_param\": 1}", &json),
           CLERK_RESULT_INVALID_PARAMS, json, "no_such_param");
    EXPECT(clerk_client_call(client, "GetUserList", "{\"limit\": \"ten\"}", &json),
           CLERK_RESULT_INVALID_PARAMS, json, "limit");
    EXPECT(clerk_client_call(client, "GetUser", "{}", &json), CLERK_RESULT_INVALID_PARAMS, json,
           "user_id");
    EXPECT(clerk_client_call(client, "GetUserList", "{\"limit\": ", &json),
           CLERK_RESULT_INVALID_JSON, json, "params_json");
    EXPECT(clerk_client_call(client, "GetUserList", "[]", &json), CLERK_RESULT_INVALID_JSON,
           json, "expected a JSON object");
    EXPECT(clerk_client_call(client, "GetUserList", "\"text\"", &json),
           CLERK_RESULT_INVALID_JSON, json, "a string");
    EXPECT(clerk_client_call(client, BAD_UTF8, NULL, &json), CLERK_RESULT_INVALID_UTF8, json,
           "`name`");
    EXPECT(clerk_client_call(client, "GetUserList", BAD_UTF8, &json), CLERK_RESULT_INVALID_UTF8,
           json, "params_json");
    EXPECT(clerk_client_call(NULL, "GetUserList", NULL, &json), CLERK_RESULT_NULL_PARAMETER,
           json, "`client`");
    EXPECT(clerk_client_call(client, NULL, NULL, &json), CLERK_RESULT_NULL_PARAMETER, json,
           "`name`");
    CHECK(clerk_client_call(client, "GetUserList", NULL, NULL) == CLERK_RESULT_NULL_PARAMETER);
}

static void test_transport_errors(const char *secret_key) {
    char *json = NULL;
    char bad_config[512];
    clerk_client *client;

    /* Port 1 on loopback: connection refused, no retries. */
    snprintf(bad_config, sizeof bad_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"http://127.0.0.1:1\","
             " \"retry\": {\"max_attempts\": 1}}",
             secret_key);
    client = new_client(bad_config);
    EXPECT(clerk_client_call(client, "GetUserList", NULL, &json), CLERK_RESULT_TRANSPORT, json,
           "\"kind\":\"transport\"");
    clerk_client_free(client);
}

/* A loopback listener on an ephemeral port; returns the socket and writes the port. */
static int listen_loopback(int *port) {
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(fd, 4) != 0 || getsockname(fd, (struct sockaddr *)&address, &length) != 0) {
        perror("listen_loopback");
        exit(2);
    }
    *port = ntohs(address.sin_port);
    return fd;
}

/* Answers one connection with a 200 whose body is not JSON. */
static void *serve_garbage_once(void *argument) {
    int listener = *(int *)argument;
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Content-Length: 8\r\nConnection: close\r\n\r\nnot json";
    char request[4096];
    int connection = accept(listener, NULL, NULL);
    if (connection >= 0) {
        ssize_t got = read(connection, request, sizeof request);
        (void)got;
        if (write(connection, answer, sizeof answer - 1) < 0) perror("write");
        close(connection);
    }
    return NULL;
}

/* Timeouts, undecodable answers and the response size limit. */
static void test_timeout_decode_and_limit(const char *api_url, const char *secret_key) {
    char *json = NULL;
    char local_config[512];
    clerk_client *client;
    clerk_pager *pager = NULL;
    pthread_t server;
    int port, listener = listen_loopback(&port);

    /* A server that accepts (the kernel's backlog) but never answers. */
    snprintf(local_config, sizeof local_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"http://127.0.0.1:%d\","
             " \"timeout_request_ms\": 300, \"retry\": {\"max_attempts\": 1}}",
             secret_key, port);
    client = new_client(local_config);
    EXPECT(clerk_client_call(client, "GetUserList", NULL, &json), CLERK_RESULT_TIMEOUT, json,
           "\"kind\":\"timeout\"");

    clerk_client_free(client);
    close(listener);

    /* A 200 that is not JSON: the pager has to read the page, so it reports it. */
    listener = listen_loopback(&port);
    snprintf(local_config, sizeof local_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"http://127.0.0.1:%d\","
             " \"timeout_request_ms\": 5000, \"retry\": {\"max_attempts\": 1}}",
             secret_key, port);
    client = new_client(local_config);
    CHECK(pthread_create(&server, NULL, serve_garbage_once, &listener) == 0);
    EXPECT(clerk_pager_new(client, "GetUserList", NULL, &pager, &json), CLERK_RESULT_OK, json,
           NULL);
    EXPECT(clerk_pager_next(pager, &json), CLERK_RESULT_DECODE, json, "\"kind\":\"decode\"");
    pthread_join(server, NULL);
    clerk_pager_free(pager);
    clerk_client_free(client);
    close(listener);

    snprintf(local_config, sizeof local_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"%s\", \"max_response_bytes\": 16}",
             secret_key, api_url);
    client = new_client(local_config);
    EXPECT(clerk_client_call(client, "GetUserList", NULL, &json), CLERK_RESULT_RESPONSE_TOO_LARGE,
           json, "\"kind\":\"response_too_large\"");
    clerk_client_free(client);

    /* An explicit proxy is honoured: a dead one makes the call fail. */
    snprintf(local_config, sizeof local_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"http://127.0.0.1:9\","
             " \"proxy\": \"http://127.0.0.1:1\", \"retry\": {\"max_attempts\": 1}}",
             secret_key);
    client = new_client(local_config);
    EXPECT(clerk_client_call(client, "GetUserList", NULL, &json), CLERK_RESULT_TRANSPORT, json,
           "\"kind\":\"transport\"");
    clerk_client_free(client);
    EXPECT(clerk_client_new("{\"proxy\": \"not a proxy url\"}", &client, &json),
           CLERK_RESULT_CONFIG, json, "proxy");
}

static void test_wrong_secret_key(const char *api_url) {
    char *json = NULL;
    char bad_config[512];
    clerk_client *client;

    snprintf(bad_config, sizeof bad_config,
             "{\"secret_key\": \"sk_test_wrong\", \"api_url\": \"%s\","
             " \"retry\": {\"max_attempts\": 1}}",
             api_url);
    client = new_client(bad_config);
    EXPECT(clerk_client_call(client, "GetUserList", NULL, &json), CLERK_RESULT_API, json,
           "\"status\":401");
    clerk_client_free(client);
}

static void test_multipart(clerk_client *client) {
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                  0, 0, 0, 0x0d, 'I', 'H', 'D', 'R'};
    char *json = NULL;
    char params[256];
    char user_id[128] = "";

    CHECK(clerk_client_call(client, "CreateUser", "{\"first_name\": \"Pic\"}", &json) ==
          CLERK_RESULT_OK);
    CHECK(json != NULL && string_field(json, "id", user_id, sizeof user_id));
    clerk_string_free(json);
    json = NULL;
    snprintf(params, sizeof params, "{\"user_id\": \"%s\"}", user_id);

    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", params, "file", "me.png",
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_OK, json, user_id);
    /* content_type NULL means application/octet-stream. */
    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", params, "file", "me.bin",
                                       NULL, png, sizeof png, &json),
           CLERK_RESULT_OK, json, user_id);

    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage",
                                       "{\"user_id\": \"u\", \"file\": 1}", "file", "me.png",
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "file");
    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", params, "no_such_field",
                                       "me.png", "image/png", png, sizeof png, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "no_such_field");
    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", params, "file", "me.png",
                                       "image/png", NULL, 4, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "bytes");
    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", params, "file", NULL,
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "filename");
    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", params, NULL, "me.png",
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "file_field");
    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", params, "file", BAD_UTF8,
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_INVALID_UTF8, json, "filename");
    EXPECT(clerk_client_call_multipart(client, "SetUserProfileImage", "{", "file", "me.png",
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_INVALID_JSON, json, "params_json");
    EXPECT(clerk_client_call_multipart(client, "NoSuchUpload", params, "file", "me.png",
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_UNKNOWN_OPERATION, json, "NoSuchUpload");
    EXPECT(clerk_client_call_multipart(NULL, "SetUserProfileImage", params, "file", "me.png",
                                       "image/png", png, sizeof png, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`client`");
}

static void test_request(clerk_client *client) {
    char *json = NULL;
    uint16_t status = 0;

    EXPECT(clerk_client_request(client, "GET", "/users", "{\"limit\": 2}", NULL, &status, &json),
           CLERK_RESULT_OK, json, "\"id\"");
    CHECK(status == 200);
    CHECK(clerk_client_request(client, "get", "/users", "{\"limit\": [1]}", NULL, NULL, &json) ==
          CLERK_RESULT_OK);
    CHECK(json != NULL && count_top_level_items(json) == 1);
    clerk_string_free(json);
    json = NULL;
    status = 0;
    EXPECT(clerk_client_request(client, "POST", "/users", NULL, "{\"first_name\": \"Raw\"}",
                                &status, &json),
           CLERK_RESULT_OK, json, "Raw");
    CHECK(status == 200);
    status = 0;
    EXPECT(clerk_client_request(client, "GET", "/users/user_does_not_exist", NULL, NULL, &status,
                                &json),
           CLERK_RESULT_API, json, "\"status\":404");
    CHECK(status == 0); /* outputs only on success */

    /* Dot-segments would climb the path at a normalising hop: refused, encoded or not. */
    EXPECT(clerk_client_request(client, "DELETE", "/users/../jwks", NULL, NULL, NULL, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "dot-segment");
    EXPECT(clerk_client_request(client, "GET", "/users/.%2E", NULL, NULL, NULL, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "dot-segment");
    EXPECT(clerk_client_call(client, "DeleteOrganizationMembership",
                             "{\"organization_id\": \"org_1\", \"user_id\": \"..\"}", &json),
           CLERK_RESULT_INVALID_PARAMS, json, "user_id");

    EXPECT(clerk_client_request(client, "FETCH", "/users", NULL, NULL, NULL, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "FETCH");
    EXPECT(clerk_client_request(client, "GET", "users", NULL, NULL, NULL, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "\"kind\":\"invalid_params\"");
    EXPECT(clerk_client_request(client, "GET", "/users", "{\"a\": {\"b\": 1}}", NULL, NULL,
                                &json),
           CLERK_RESULT_INVALID_JSON, json, "query_json");
    EXPECT(clerk_client_request(client, "GET", "/users", "[1]", NULL, NULL, &json),
           CLERK_RESULT_INVALID_JSON, json, "query_json");
    EXPECT(clerk_client_request(client, "POST", "/users", NULL, "{\"first_name\": ", NULL,
                                &json),
           CLERK_RESULT_INVALID_JSON, json, "body_json");
    EXPECT(clerk_client_request(client, "GET", BAD_UTF8, NULL, NULL, NULL, &json),
           CLERK_RESULT_INVALID_UTF8, json, "`path`");
    EXPECT(clerk_client_request(client, NULL, "/users", NULL, NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`method`");
    EXPECT(clerk_client_request(client, "GET", NULL, NULL, NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`path`");
    EXPECT(clerk_client_request(NULL, "GET", "/users", NULL, NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`client`");
    CHECK(clerk_client_request(client, "GET", "/users", NULL, NULL, NULL, NULL) ==
          CLERK_RESULT_NULL_PARAMETER);
}

static void test_operations(void) {
    char *json = NULL;
    CHECK(clerk_operations_json(&json) == CLERK_RESULT_OK);
    CHECK(json != NULL && json[0] == '[');
    CHECK(json != NULL && strstr(json, "\"operation_id\":\"GetUserList\"") != NULL);
    CHECK(json != NULL && strstr(json, "\"operation_id\":\"SetUserProfileImage\"") != NULL);
    CHECK(json != NULL && count_top_level_items(json) >= 200);
    clerk_string_free(json);
    CHECK(clerk_operations_json(NULL) == CLERK_RESULT_NULL_PARAMETER);
}

/* Pages through every user three at a time and compares with GetUsersCount. */
static void test_pager(clerk_client *client, const char *secret_key) {
    clerk_pager *pager = NULL;
    clerk_pager *sentinel = (clerk_pager *)&pager;
    char *json = NULL;
    char count_text[32] = "";
    const char *total_at;
    long expected_total = -1, seen = 0;
    int pages = 0, short_page_seen = 0;
    clerk_result rc;
    char bad_config[512];
    clerk_client *dead_client;

    /* Enough users for several pages, whatever state the emulator is in. */
    for (pages = 0; pages < 7; pages++) {
        CHECK(clerk_client_call(client, "CreateUser", "{\"first_name\": \"Paged\"}", &json) ==
              CLERK_RESULT_OK);
        clerk_string_free(json);
        json = NULL;
    }
    pages = 0;
    CHECK(clerk_client_call(client, "GetUsersCount", NULL, &json) == CLERK_RESULT_OK);
    total_at = json != NULL ? strstr(json, "\"total_count\"") : NULL;
    if (total_at != NULL) {
        total_at = strchr(total_at, ':');
        expected_total = total_at != NULL ? strtol(total_at + 1, NULL, 10) : -1;
    }
    CHECK(expected_total >= 7);
    clerk_string_free(json);
    json = NULL;
    (void)count_text;

    EXPECT(clerk_pager_new(client, "GetUserList", "{\"limit\": 3}", &pager, &json),
           CLERK_RESULT_OK, json, NULL);
    while ((rc = clerk_pager_next(pager, &json)) == CLERK_RESULT_OK && pages < 1000) {
        int items = json != NULL ? count_top_level_items(json) : -1;
        CHECK(items >= 1 && items <= 3 && !short_page_seen);
        if (items < 3) short_page_seen = 1;
        seen += items;
        pages++;
        clerk_string_free(json);
        json = NULL;
    }
    CHECK(rc == CLERK_RESULT_DONE && json == NULL);
    CHECK(seen == expected_total);
    CHECK(pages == (int)((expected_total + 2) / 3));
    /* Done stays done. */
    EXPECT(clerk_pager_next(pager, &json), CLERK_RESULT_DONE, json, NULL);
    clerk_pager_free(pager);

    /* The pager holds its own reference: the client may go first. */
    dead_client = new_client(config);
    EXPECT(clerk_pager_new(dead_client, "users.list", "{\"limit\": 2, \"offset\": 1}", &pager,
                           &json),
           CLERK_RESULT_OK, json, NULL);
    clerk_client_free(dead_client);
    CHECK(clerk_pager_next(pager, &json) == CLERK_RESULT_OK);
    CHECK(json != NULL && count_top_level_items(json) == 2);
    clerk_string_free(json);
    json = NULL;
    clerk_pager_free(pager);

    /* An error is reported, then the pager is done. */
    snprintf(bad_config, sizeof bad_config,
             "{\"secret_key\": \"%s\", \"api_url\": \"http://127.0.0.1:1\","
             " \"retry\": {\"max_attempts\": 1}}",
             secret_key);
    dead_client = new_client(bad_config);
    EXPECT(clerk_pager_new(dead_client, "GetUserList", NULL, &pager, &json), CLERK_RESULT_OK,
           json, NULL);
    EXPECT(clerk_pager_next(pager, &json), CLERK_RESULT_TRANSPORT, json, "transport");
    EXPECT(clerk_pager_next(pager, &json), CLERK_RESULT_DONE, json, NULL);
    clerk_pager_free(pager);
    clerk_client_free(dead_client);

    pager = sentinel;
    EXPECT(clerk_pager_new(client, "GetUser", NULL, &pager, &json), CLERK_RESULT_INVALID_PARAMS,
           json, "not a paginated list");
    EXPECT(clerk_pager_new(client, "NoSuchList", NULL, &pager, &json),
           CLERK_RESULT_UNKNOWN_OPERATION, json, "NoSuchList");
    EXPECT(clerk_pager_new(client, "GetUserList", "{\"limit\": 0}", &pager, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "limit");
    EXPECT(clerk_pager_new(client, "GetUserList", "{\"limit\": \"3\"}", &pager, &json),
           CLERK_RESULT_INVALID_PARAMS, json, "limit");
    EXPECT(clerk_pager_new(client, "GetUserList", "{", &pager, &json), CLERK_RESULT_INVALID_JSON,
           json, "params_json");
    EXPECT(clerk_pager_new(client, BAD_UTF8, NULL, &pager, &json), CLERK_RESULT_INVALID_UTF8,
           json, "`name`");
    EXPECT(clerk_pager_new(NULL, "GetUserList", NULL, &pager, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`client`");
    EXPECT(clerk_pager_new(client, "GetUserList", NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "pager_out");
    CHECK(clerk_pager_new(client, "GetUserList", NULL, &pager, NULL) ==
          CLERK_RESULT_NULL_PARAMETER);
    CHECK(pager == sentinel);
    EXPECT(clerk_pager_next(NULL, &json), CLERK_RESULT_NULL_PARAMETER, json, "`pager`");
}

/* Seconds on the monotonic clock. */
static double now_seconds(void) {
    struct timespec at;
    clock_gettime(CLOCK_MONOTONIC, &at);
    return (double)at.tv_sec + (double)at.tv_nsec / 1e9;
}

/* POSTs `body` to the emulator's control path `path` (e.g. /__emulator/faults) and
 * returns 1 on a 2xx answer. The emulator listens on 127.0.0.1:<port of api_url>. */
static int emulator_post(const char *api_url, const char *path, const char *body) {
    struct sockaddr_in address;
    const char *colon = strrchr(api_url, ':');
    char request[2048], answer[512];
    ssize_t got;
    int fd, ok;
    if (colon == NULL) return 0;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)atoi(colon + 1));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(request, sizeof request,
             "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             path, strlen(body), body);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("emulator_post");
        if (fd >= 0) close(fd);
        return 0;
    }
    ok = write(fd, request, strlen(request)) == (ssize_t)strlen(request);
    got = ok ? read(fd, answer, sizeof answer - 1) : -1;
    close(fd);
    if (got <= 0) return 0;
    answer[got] = '\0';
    return strncmp(answer, "HTTP/1.1 2", 10) == 0;
}

/* The *_with_options functions: a per-call timeout against a slow (delay fault) emulator,
 * NULL options as the plain call, and strict options JSON. */
static void test_call_options(clerk_client *client, const char *api_url) {
    static const char slow_users[] =
        "{\"method\": \"GET\", \"path\": \"/v1/users\", \"delay_ms\": 5000}";
    char *json = NULL;
    clerk_pager *pager = NULL;
    double started, elapsed;
    uint16_t status;

    /* A 5 s delay against a 300 ms timeout: the timeout code, long before the answer. */
    CHECK(emulator_post(api_url, "/__emulator/faults", slow_users));
    started = now_seconds();
    EXPECT(clerk_client_call_with_options(client, "GetUserList", "{\"limit\": 1}",
                                          "{\"timeout_ms\": 300}", &json),
           CLERK_RESULT_TIMEOUT, json, "\"kind\":\"timeout\"");
    elapsed = now_seconds() - started;
    CHECK(elapsed < 3.0);
    if (elapsed >= 3.0) fprintf(stderr, "call_with_options took %.2f s\n", elapsed);

    CHECK(emulator_post(api_url, "/__emulator/faults", slow_users));
    started = now_seconds();
    EXPECT(clerk_client_request_with_options(client, "GET", "/users", "{\"limit\": 1}", NULL,
                                             NULL, "{\"timeout_ms\": 300}", &json),
           CLERK_RESULT_TIMEOUT, json, "per-call timeout of 300 ms");
    CHECK(now_seconds() - started < 3.0);

    CHECK(emulator_post(api_url, "/__emulator/faults", slow_users));
    EXPECT(clerk_pager_new(client, "GetUserList", "{\"limit\": 2}", &pager, &json),
           CLERK_RESULT_OK, json, NULL);
    started = now_seconds();
    EXPECT(clerk_pager_next_with_options(pager, "{\"timeout_ms\": 300}", &json),
           CLERK_RESULT_TIMEOUT, json, "\"kind\":\"timeout\"");
    CHECK(now_seconds() - started < 3.0);
    EXPECT(clerk_pager_next_with_options(pager, NULL, &json), CLERK_RESULT_DONE, json, NULL);
    clerk_pager_free(pager);
    pager = NULL;

    /* NULL and "" options: the plain call. A generous timeout changes nothing. */
    CHECK(clerk_client_call_with_options(client, "GetUserList", "{\"limit\": 1}", NULL, &json) ==
          CLERK_RESULT_OK);
    CHECK(json != NULL && count_top_level_items(json) == 1);
    clerk_string_free(json);
    json = NULL;
    CHECK(clerk_client_call_with_options(client, "GetUserList", "{\"limit\": 1}", "", &json) ==
          CLERK_RESULT_OK);
    CHECK(json != NULL && count_top_level_items(json) == 1);
    clerk_string_free(json);
    json = NULL;
    CHECK(clerk_client_call_with_options(client, "users.list", "{\"limit\": 1}",
                                         "{\"timeout_ms\": 600000}", &json) == CLERK_RESULT_OK);
    CHECK(json != NULL && count_top_level_items(json) == 1);
    clerk_string_free(json);
    json = NULL;
    status = 0;
    CHECK(clerk_client_request_with_options(client, "GET", "/users", "{\"limit\": 1}", NULL,
                                            &status, NULL, &json) == CLERK_RESULT_OK);
    CHECK(status == 200);
    CHECK(json != NULL && count_top_level_items(json) == 1);
    clerk_string_free(json);
    json = NULL;

    /* Options JSON is strict: unknown keys, out-of-range values, wrong types. */
    EXPECT(clerk_client_call_with_options(client, "GetUserList", NULL, "{\"timeout\": 300}",
                                          &json),
           CLERK_RESULT_INVALID_JSON, json, "unknown field `timeout`");
    EXPECT(clerk_client_call_with_options(client, "GetUserList", NULL, "{\"timeout_ms\": 0}",
                                          &json),
           CLERK_RESULT_INVALID_JSON, json, "timeout_ms");
    EXPECT(clerk_client_call_with_options(client, "GetUserList", NULL,
                                          "{\"timeout_ms\": 600001}", &json),
           CLERK_RESULT_INVALID_JSON, json, "1..=600000");
    EXPECT(clerk_client_call_with_options(client, "GetUserList", NULL,
                                          "{\"timeout_ms\": \"300\"}", &json),
           CLERK_RESULT_INVALID_JSON, json, "timeout_ms");
    EXPECT(clerk_client_call_with_options(client, "GetUserList", NULL, "[300]", &json),
           CLERK_RESULT_INVALID_JSON, json, "options_json");
    EXPECT(clerk_client_call_with_options(client, "GetUserList", NULL, BAD_UTF8, &json),
           CLERK_RESULT_INVALID_UTF8, json, "options_json");
    EXPECT(clerk_client_call_with_options(client, NULL, NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`operation`");
    EXPECT(clerk_client_call_with_options(NULL, "GetUserList", NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`client`");
    CHECK(clerk_client_call_with_options(client, "GetUserList", NULL, NULL, NULL) ==
          CLERK_RESULT_NULL_PARAMETER);
    EXPECT(clerk_client_request_with_options(client, "GET", "/users", NULL, NULL, NULL,
                                             "{\"timeout_ms\": 1, \"retries\": 2}", &json),
           CLERK_RESULT_INVALID_JSON, json, "retries");
    EXPECT(clerk_client_request_with_options(client, "GET", NULL, NULL, NULL, NULL, NULL, &json),
           CLERK_RESULT_NULL_PARAMETER, json, "`path`");

    /* A refused options argument leaves the pager as it was. */
    EXPECT(clerk_pager_new(client, "GetUserList", "{\"limit\": 1}", &pager, &json),
           CLERK_RESULT_OK, json, NULL);
    EXPECT(clerk_pager_next_with_options(pager, "{\"timeout_ms\": -5}", &json),
           CLERK_RESULT_INVALID_JSON, json, "timeout_ms");
    CHECK(clerk_pager_next_with_options(pager, "{\"timeout_ms\": 5000}", &json) ==
          CLERK_RESULT_OK);
    CHECK(json != NULL && count_top_level_items(json) == 1);
    clerk_string_free(json);
    json = NULL;
    clerk_pager_free(pager);
    EXPECT(clerk_pager_next_with_options(NULL, NULL, &json), CLERK_RESULT_NULL_PARAMETER, json,
           "`pager`");
}

int main(void) {
    const char *api_url = required_env("CLERK_TEST_API_URL");
    const char *secret_key = required_env("CLERK_TEST_SECRET_KEY");
    clerk_client *client;

    snprintf(config, sizeof config,
             "{\"api_url\": \"%s\", \"secret_key\": \"%s\", \"retry\": {\"max_attempts\": 1}}",
             api_url, secret_key);
    client = new_client(config);

    test_static_functions();
    test_client_new(api_url, secret_key);
    test_call(client);
    test_transport_errors(secret_key);
    test_wrong_secret_key(api_url);
    test_timeout_decode_and_limit(api_url, secret_key);
    test_multipart(client);
    test_request(client);
    test_operations();
    test_pager(client, secret_key);
    test_call_options(client, api_url);

    clerk_client_free(client);
    return check_summary("test_client");
}
