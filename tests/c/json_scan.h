/* Just enough JSON scanning for the tests: no JSON library in C test code. */
#ifndef CLERK_TEST_JSON_SCAN_H
#define CLERK_TEST_JSON_SCAN_H

#include <stddef.h>

/* The number of elements of the top-level JSON array `json` (-1 when it is not an array). */
static inline int count_top_level_items(const char *json) {
    int depth = 0, items = 0, in_string = 0, seen_value = 0;
    const char *p = json;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++;
    if (*p != '[') return -1;
    for (; *p != '\0'; p++) {
        char c = *p;
        if (in_string) {
            if (c == '\\' && p[1] != '\0') p++;
            else if (c == '"') in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
            if (depth == 1) seen_value = 1;
        } else if (c == '[' || c == '{') {
            if (depth == 1) seen_value = 1;
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
            if (depth == 0) return items + seen_value;
        } else if (c == ',' && depth == 1) {
            items++;
        } else if (depth == 1 && c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            seen_value = 1;
        }
    }
    return -1;
}

/* Copies the string value of the first `"key":"value"` (or `"key": "value"`) into `out`;
 * returns 0 when absent. */
static inline int string_field(const char *json, const char *key, char *out, size_t out_size) {
    char pattern[128];
    const char *p;
    size_t n = 0;
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    p = strstr(json, pattern);
    if (p == NULL) return 0;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':') p++;
    if (*p != '"') return 0;
    p++;
    while (*p != '\0' && *p != '"' && n + 1 < out_size) out[n++] = *p++;
    out[n] = '\0';
    return 1;
}

#endif
