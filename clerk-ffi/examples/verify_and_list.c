/*
 * libclerk example: authenticate an incoming request by its bearer token, then list every
 * user page by page.
 *
 * Build (after clerk-ffi/install.sh PREFIX, with PREFIX/lib/pkgconfig on PKG_CONFIG_PATH):
 *   cc -std=c99 verify_and_list.c $(pkg-config --cflags --libs clerk) -o verify_and_list
 * Run:
 *   CLERK_SECRET_KEY=sk_test_... ./verify_and_list "Bearer eyJhbGciOi..."
 * (CLERK_API_URL points it at another host, e.g. the local emulator.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <clerk.h>

/* Prints a failed call's error JSON, frees it and returns 1. */
static int report(const char *what, clerk_result rc, char *error_json) {
    fprintf(stderr, "%s failed: %s %s\n", what, clerk_result_name(rc),
            error_json != NULL ? error_json : "");
    clerk_string_free(error_json);
    return 1;
}

/* Writes `text` as a JSON string literal (quotes and backslashes escaped) into `out`. */
static int json_quote(char *out, size_t size, const char *text) {
    size_t n = 0;
    if (size < 3) return 0;
    out[n++] = '"';
    for (; *text != '\0'; text++) {
        if (*text == '"' || *text == '\\') {
            if (n + 2 >= size) return 0;
            out[n++] = '\\';
        } else if ((unsigned char)*text < 0x20) {
            continue; /* control characters never belong in a header value */
        }
        if (n + 2 >= size) return 0;
        out[n++] = *text;
    }
    out[n++] = '"';
    out[n] = '\0';
    return 1;
}

int main(int argc, char **argv) {
    clerk_client *client = NULL;
    clerk_verifier *verifier = NULL;
    clerk_pager *pager = NULL;
    char *json = NULL;
    char quoted[8192], request[8300];
    clerk_result rc;
    int page = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s 'Bearer <session token>'\n", argv[0]);
        return 2;
    }

    /* One client and one verifier for the whole process; both are thread-safe. */
    rc = clerk_client_new(NULL, &client, &json); /* NULL: CLERK_SECRET_KEY, CLERK_API_URL */
    if (rc != CLERK_RESULT_OK) return report("clerk_client_new", rc, json);
    /* Keys come from the instance's JWKS through the client, fetched once and cached.
     * In production also set "authorized_parties": ["https://your-app.example"]. */
    rc = clerk_verifier_new(NULL, client, &verifier, &json);
    if (rc != CLERK_RESULT_OK) return report("clerk_verifier_new", rc, json);

    /* 1. Authenticate the request: its headers as JSON. */
    if (!json_quote(quoted, sizeof quoted, argv[1])) {
        fprintf(stderr, "authorization header too long\n");
        return 2;
    }
    snprintf(request, sizeof request, "{\"method\": \"GET\", \"headers\": {\"Authorization\": %s}}",
             quoted);
    rc = clerk_authenticate_request(verifier, request, &json);
    if (rc != CLERK_RESULT_OK) return report("clerk_authenticate_request", rc, json);
    /* {"status": "signed-in", "claims": {"sub": "user_...", ...}} or
     * {"status": "signed-out", "reason": "token-expired", ...} */
    printf("auth: %s\n", json);
    clerk_string_free(json);
    json = NULL;

    /* 2. List every user, 50 per page. */
    rc = clerk_pager_new(client, "users.list", "{\"limit\": 50}", &pager, &json);
    if (rc != CLERK_RESULT_OK) return report("clerk_pager_new", rc, json);
    while ((rc = clerk_pager_next(pager, &json)) == CLERK_RESULT_OK) {
        printf("page %d: %.200s%s\n", ++page, json, strlen(json) > 200 ? "..." : "");
        clerk_string_free(json);
        json = NULL;
    }
    if (rc != CLERK_RESULT_DONE) return report("clerk_pager_next", rc, json);
    printf("%d page(s)\n", page);

    clerk_pager_free(pager);
    clerk_verifier_free(verifier);
    clerk_client_free(client);
    return 0;
}
