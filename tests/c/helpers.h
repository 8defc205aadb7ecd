/* Helpers shared by the verification tests: files, JSON string escaping, token minting. */
#ifndef CLERK_TEST_HELPERS_H
#define CLERK_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clerk.h"

/* Reads a whole file into a NUL-terminated heap buffer (the caller frees it). */
static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    char *text;
    long size;
    if (file == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    if (text == NULL || fread(text, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    text[size] = '\0';
    fclose(file);
    return text;
}

/* Writes {"<key>": "<value escaped>"} into out; returns 0 when it does not fit. */
static inline int json_string_field(char *out, size_t out_size, const char *key, const char *value) {
    size_t n = 0;
    int written = snprintf(out, out_size, "{\"%s\": \"", key);
    if (written < 0 || (size_t)written >= out_size) return 0;
    n = (size_t)written;
    for (; *value != '\0'; value++) {
        const char *escaped = NULL;
        char single[2] = {0, 0};
        if (*value == '\n') escaped = "\\n";
        else if (*value == '\r') escaped = "\\r";
        else if (*value == '"') escaped = "\\\"";
        else if (*value == '\\') escaped = "\\\\";
        else {
            single[0] = *value;
            escaped = single;
        }
        if (n + strlen(escaped) + 3 >= out_size) return 0;
        memcpy(out + n, escaped, strlen(escaped));
        n += strlen(escaped);
    }
    memcpy(out + n, "\"}", 3);
    return 1;
}

/* Mints a session token with `kid`, the default claims overlaid with `claims_json`. */
static char *mint_token(const char *private_pem, const char *kid, const char *claims_json,
                        const char *header_json) {
    char *token = NULL, *json = NULL;
    clerk_result rc = clerk_testing_mint_session_token(private_pem, kid, claims_json, header_json,
                                                       &token, &json);
    if (rc != CLERK_RESULT_OK) {
        fprintf(stderr, "minting failed: %s %s\n", clerk_result_name(rc), json);
        exit(2);
    }
    return token;
}

#endif
