/*
 * Backend API call throughput through the C ABI (a benchmark for bench/run.sh: prints,
 * asserts nothing), against a Clerk emulator on 127.0.0.1:
 *
 *   api_bench URL SECRET get N USER_ID    N sequential clerk_client_call("users.get")
 *   api_bench URL SECRET list TOTAL PAGE  clerk_pager_next over "users.list" (limit PAGE)
 *                                         until TOTAL users or the end
 *
 * The response bodies are taken as they come (a C program parses them with its own JSON
 * library); the users of a page are counted by their "object":"user" field. Prints one
 * JSON line: calls, items, wall seconds and process CPU seconds around the loop.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clerk.h"

static double clock_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, clerk_result rc, char *json) {
    fprintf(stderr, "%s: %s %s\n", what, clerk_result_name(rc), json != NULL ? json : "");
    exit(1);
}

static long count_users(const char *page) {
    long n = 0;
    const char *at = page;
    while ((at = strstr(at, "\"object\":\"user\"")) != NULL) {
        n++;
        at++;
    }
    return n;
}

int main(int argc, char **argv) {
    char config[1024], params[256];
    clerk_client *client = NULL;
    clerk_result rc;
    char *json = NULL;
    long n, calls = 0, items = 0, i;
    double wall0, cpu0;

    if (argc < 6) {
        fprintf(stderr, "usage: %s URL SECRET get N USER_ID | list TOTAL PAGE\n", argv[0]);
        return 2;
    }
    snprintf(config, sizeof config, "{\"api_url\": \"%s\", \"secret_key\": \"%s\"}", argv[1],
             argv[2]);
    rc = clerk_client_new(config, &client, &json);
    if (rc != CLERK_RESULT_OK) die("clerk_client_new", rc, json);
    n = atol(argv[4]);
    wall0 = clock_seconds(CLOCK_MONOTONIC);
    cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    if (strcmp(argv[3], "get") == 0) {
        snprintf(params, sizeof params, "{\"user_id\": \"%s\"}", argv[5]);
        for (i = 0; i < n; i++) {
            rc = clerk_client_call(client, "users.get", params, &json);
            if (rc != CLERK_RESULT_OK) die("users.get", rc, json);
            clerk_string_free(json);
        }
        calls = items = n;
    } else if (strcmp(argv[3], "list") == 0) {
        clerk_pager *pager = NULL;
        snprintf(params, sizeof params, "{\"limit\": %ld}", atol(argv[5]));
        rc = clerk_pager_new(client, "users.list", params, &pager, &json);
        if (rc != CLERK_RESULT_OK) die("clerk_pager_new", rc, json);
        /* Bounded: at most TOTAL users, and the pager ends at the last page. */
        while (items < n) {
            rc = clerk_pager_next(pager, &json);
            if (rc == CLERK_RESULT_DONE) break;
            if (rc != CLERK_RESULT_OK) die("clerk_pager_next", rc, json);
            calls++;
            items += count_users(json);
            clerk_string_free(json);
        }
        clerk_pager_free(pager);
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[3]);
        return 2;
    }
    printf("{\"bench\":\"api\",\"impl\":\"c\",\"mode\":\"%s\",\"calls\":%ld,\"items\":%ld,"
           "\"wall_s\":%.6f,\"cpu_s\":%.6f}\n",
           argv[3], calls, items, clock_seconds(CLOCK_MONOTONIC) - wall0,
           clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
    clerk_client_free(client);
    return 0;
}
