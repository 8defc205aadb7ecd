/*
 * Benchmark (not a test): session token verification through the C ABI against a raw
 * RSA-2048 PKCS#1 v1.5 / SHA-256 verification with OpenSSL's libcrypto, plus the per-call
 * overhead of crossing the ABI (clerk_version).
 *
 * verify_bench PRIVATE_KEY_PEM PUBLIC_KEY_PEM [SECONDS_PER_MEASUREMENT]
 *
 * Environment (used by bench/run.sh, which runs every contestant on one token):
 * - CLERK_BENCH_MINT=1: print the benchmark token (minted with PRIVATE_KEY_PEM) and exit;
 * - CLERK_BENCH_TOKEN_FILE=FILE: verify the token in FILE instead of minting one;
 * - CLERK_BENCH_JSONL=1: print one JSON line per measurement instead of the summary:
 *   the C ABI and OpenSSL (digest + verify, and prehashed EVP_PKEY_verify), each on 1 and
 *   2 threads, with counts, wall and process CPU seconds;
 * - CLERK_BENCH_COUNT=N: verify the token exactly N times and exit (for callgrind, whose
 *   instruction counts, unlike timings, do not move with the machine's load).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "clerk.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    char *text;
    long size;
    if (file == NULL) {
        perror(path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    text = malloc((size_t)size + 1);
    if (text == NULL || fread(text, 1, (size_t)size, file) != (size_t)size) exit(2);
    text[size] = '\0';
    fclose(file);
    return text;
}

static void die(const char *what, clerk_result rc, char *json) {
    fprintf(stderr, "%s: %s %s\n", what, clerk_result_name(rc), json != NULL ? json : "");
    exit(1);
}

/* JSON-escapes a PEM into {"jwt_key": "..."}. */
static char *pem_config(const char *pem) {
    size_t size = strlen(pem) * 2 + 32, n;
    char *out = malloc(size);
    if (out == NULL) exit(2);
    n = (size_t)snprintf(out, size, "{\"jwt_key\": \"");
    for (; *pem != '\0'; pem++) {
        if (*pem == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else if (*pem != '\r') {
            out[n++] = *pem;
        }
    }
    memcpy(out + n, "\"}", 3);
    return out;
}

/* Decodes base64url (no padding) into `out`; returns the length. */
static size_t base64url_decode(const char *in, size_t len, unsigned char *out) {
    uint32_t buffer = 0;
    int bits = 0;
    size_t n = 0, i;
    for (i = 0; i < len; i++) {
        char c = in[i];
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-') v = 62;
        else if (c == '_') v = 63;
        else continue;
        buffer = (buffer << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)((buffer >> bits) & 0xff);
        }
    }
    return n;
}

/* One measured workload: what a thread does per iteration. */
enum work { WORK_CLERK, WORK_OPENSSL_DIGEST, WORK_OPENSSL_PREHASHED };

struct bench {
    enum work work;
    clerk_verifier *verifier;
    const char *token;
    EVP_PKEY *key;
    const unsigned char *signing_input;
    size_t signing_len;
    unsigned char digest[32];
    const unsigned char *signature;
    size_t signature_len;
    double seconds;
};

struct worker {
    const struct bench *bench;
    long count;
    int failed;
};

static int run_once(const struct bench *b) {
    if (b->work == WORK_CLERK) {
        char *json = NULL;
        clerk_result rc = clerk_verifier_verify(b->verifier, b->token, &json);
        clerk_string_free(json);
        return rc == CLERK_RESULT_OK;
    } else if (b->work == WORK_OPENSSL_DIGEST) {
        EVP_MD_CTX *context = EVP_MD_CTX_new();
        int ok = context != NULL &&
                 EVP_DigestVerifyInit(context, NULL, EVP_sha256(), NULL, b->key) == 1 &&
                 EVP_DigestVerify(context, b->signature, b->signature_len, b->signing_input,
                                  b->signing_len) == 1;
        EVP_MD_CTX_free(context);
        return ok;
    } else {
        EVP_PKEY_CTX *context = EVP_PKEY_CTX_new(b->key, NULL);
        int ok = context != NULL && EVP_PKEY_verify_init(context) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_signature_md(context, EVP_sha256()) == 1 &&
                 EVP_PKEY_verify(context, b->signature, b->signature_len, b->digest, 32) == 1;
        EVP_PKEY_CTX_free(context);
        return ok;
    }
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    double start = now_seconds();
    long i;
    /* Bounded by time and by count. */
    while (now_seconds() - start < w->bench->seconds && w->count < 100L * 1000 * 1000) {
        for (i = 0; i < 64; i++) {
            if (!run_once(w->bench)) {
                w->failed = 1;
                return NULL;
            }
        }
        w->count += 64;
    }
    return NULL;
}

/* Runs the workload on `threads` threads; prints one JSON line. */
static void measure_jsonl(const char *name, struct bench *b, int threads) {
    pthread_t ids[2];
    struct worker workers[2];
    double wall0, cpu0, wall, cpu;
    long total = 0;
    int t;
    for (t = 0; t < 200; t++) run_once(b); /* warm-up */
    wall0 = now_seconds();
    cpu0 = cpu_seconds();
    for (t = 0; t < threads; t++) {
        workers[t].bench = b;
        workers[t].count = 0;
        workers[t].failed = 0;
        if (pthread_create(&ids[t], NULL, worker_main, &workers[t]) != 0) exit(2);
    }
    for (t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        if (workers[t].failed) {
            fprintf(stderr, "%s: verification failed\n", name);
            exit(1);
        }
        total += workers[t].count;
    }
    wall = now_seconds() - wall0;
    cpu = cpu_seconds() - cpu0;
    printf("{\"bench\":\"verify\",\"impl\":\"%s\",\"threads\":%d,\"count\":%ld,"
           "\"wall_s\":%.6f,\"cpu_s\":%.6f}\n",
           name, threads, total, wall, cpu);
    fflush(stdout);
}

int main(int argc, char **argv) {
    double seconds = argc > 3 ? atof(argv[3]) : 2.0;
    char *private_pem, *public_pem, *config, *token = NULL, *json = NULL;
    clerk_verifier *verifier = NULL;
    clerk_result rc;
    double start, elapsed, clerk_rate, openssl_rate, version_ns;
    long iterations, i;
    const char *last_dot;
    unsigned char signature[512];
    size_t signature_len, signed_len;
    EVP_PKEY *key;
    FILE *key_file;
    volatile uintptr_t sink = 0;
    int from_file = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s PRIVATE_KEY_PEM PUBLIC_KEY_PEM [SECONDS]\n", argv[0]);
        return 2;
    }
    private_pem = read_file(argv[1]);
    public_pem = read_file(argv[2]);

    /* A typical v2 session token: organization, permissions, features, 1 hour lifetime. */
    rc = clerk_testing_mint_session_token(
        private_pem, "ins_bench",
        "{\"sub\": \"user_2abcdefghijklmnopqrstuvwxyz\", \"sid\": \"sess_2abcdefghijklmnopqrstuvw\","
        " \"azp\": \"https://app.example.com\", \"iss\": \"https://clerk.example.com\","
        " \"exp\": 4102444800, \"o\": {\"id\": \"org_2abcdefghijklmnopqrstuvwxyz\","
        " \"rol\": \"admin\", \"slg\": \"acme\", \"per\": \"read,manage\", \"fpm\": \"3,2\"},"
        " \"fea\": \"o:dashboard,o:billing\", \"pla\": \"o:pro\", \"fva\": [5, -1]}",
        NULL, &token, &json);
    if (rc != CLERK_RESULT_OK) die("mint", rc, json);
    if (getenv("CLERK_BENCH_MINT") != NULL) {
        printf("%s\n", token);
        clerk_string_free(token);
        return 0;
    }
    if (getenv("CLERK_BENCH_TOKEN_FILE") != NULL) {
        char *text = read_file(getenv("CLERK_BENCH_TOKEN_FILE"));
        text[strcspn(text, "\r\n")] = '\0';
        clerk_string_free(token);
        token = text; /* freed with free() below: a flag says which */
        from_file = 1;
    }
    config = pem_config(public_pem);
    rc = clerk_verifier_new(config, NULL, &verifier, &json);
    if (rc != CLERK_RESULT_OK) die("clerk_verifier_new", rc, json);
    rc = clerk_verifier_verify(verifier, token, &json);
    if (rc != CLERK_RESULT_OK) die("clerk_verifier_verify", rc, json);
    clerk_string_free(json);
    if (getenv("CLERK_BENCH_COUNT") != NULL) {
        long n = atol(getenv("CLERK_BENCH_COUNT"));
        for (i = 0; i < n; i++) {
            json = NULL;
            rc = clerk_verifier_verify(verifier, token, &json);
            if (rc != CLERK_RESULT_OK) die("verify", rc, json);
            clerk_string_free(json);
        }
        clerk_verifier_free(verifier);
        if (from_file) free(token); else clerk_string_free(token);
        free(config);
        free(private_pem);
        free(public_pem);
        return 0;
    }
    if (getenv("CLERK_BENCH_JSONL") != NULL) {
        struct bench b;
        FILE *pub = fopen(argv[2], "r");
        memset(&b, 0, sizeof b);
        b.verifier = verifier;
        b.token = token;
        b.seconds = seconds;
        b.key = pub != NULL ? PEM_read_PUBKEY(pub, NULL, NULL, NULL) : NULL;
        if (b.key == NULL) {
            fprintf(stderr, "cannot read the public key with OpenSSL\n");
            return 1;
        }
        fclose(pub);
        last_dot = strrchr(token, '.');
        b.signing_input = (const unsigned char *)token;
        b.signing_len = (size_t)(last_dot - token);
        b.signature_len = base64url_decode(last_dot + 1, strlen(last_dot + 1), signature);
        b.signature = signature;
        if (EVP_Digest(b.signing_input, b.signing_len, b.digest, NULL, EVP_sha256(), NULL) != 1)
            return 1;
        b.work = WORK_CLERK;
        measure_jsonl("c-abi", &b, 1);
        measure_jsonl("c-abi", &b, 2);
        b.work = WORK_OPENSSL_DIGEST;
        measure_jsonl("openssl-digest-verify", &b, 1);
        measure_jsonl("openssl-digest-verify", &b, 2);
        b.work = WORK_OPENSSL_PREHASHED;
        measure_jsonl("openssl-prehashed", &b, 1);
        measure_jsonl("openssl-prehashed", &b, 2);
        EVP_PKEY_free(b.key);
        clerk_verifier_free(verifier);
        if (from_file) free(token); else clerk_string_free(token);
        free(config);
        free(private_pem);
        free(public_pem);
        return 0;
    }
    printf("token: %zu bytes\n", strlen(token));

    /* libclerk: the whole verification through the C ABI, claims JSON included. */
    iterations = 0;
    start = now_seconds();
    do {
        for (i = 0; i < 256; i++) {
            json = NULL;
            rc = clerk_verifier_verify(verifier, token, &json);
            if (rc != CLERK_RESULT_OK) die("verify", rc, json);
            clerk_string_free(json);
        }
        iterations += 256;
        elapsed = now_seconds() - start;
    } while (elapsed < seconds);
    clerk_rate = (double)iterations / elapsed;

    /* OpenSSL: the RSA verification alone (SHA-256 digest + PKCS#1 v1.5) of the same token. */
    key_file = fopen(argv[2], "r");
    key = key_file != NULL ? PEM_read_PUBKEY(key_file, NULL, NULL, NULL) : NULL;
    if (key == NULL) {
        fprintf(stderr, "cannot read the public key with OpenSSL\n");
        return 1;
    }
    fclose(key_file);
    last_dot = strrchr(token, '.');
    signed_len = (size_t)(last_dot - token);
    signature_len = base64url_decode(last_dot + 1, strlen(last_dot + 1), signature);
    iterations = 0;
    start = now_seconds();
    do {
        for (i = 0; i < 256; i++) {
            EVP_MD_CTX *context = EVP_MD_CTX_new();
            int ok = context != NULL &&
                     EVP_DigestVerifyInit(context, NULL, EVP_sha256(), NULL, key) == 1 &&
                     EVP_DigestVerify(context, signature, signature_len,
                                      (const unsigned char *)token, signed_len) == 1;
            EVP_MD_CTX_free(context);
            if (!ok) {
                fprintf(stderr, "OpenSSL verification failed\n");
                return 1;
            }
        }
        iterations += 256;
        elapsed = now_seconds() - start;
    } while (elapsed < seconds);
    openssl_rate = (double)iterations / elapsed;

    /* ABI crossing: a call that does nothing but return a static string. */
    iterations = 20 * 1000 * 1000;
    start = now_seconds();
    for (i = 0; i < iterations; i++) sink += (uintptr_t)clerk_version();
    version_ns = (now_seconds() - start) * 1e9 / (double)iterations;

    printf("libclerk clerk_verifier_verify: %.0f tokens/s (%.1f us/token)\n", clerk_rate,
           1e6 / clerk_rate);
    printf("OpenSSL raw RSA-2048 verify:    %.0f tokens/s (%.1f us/token)\n", openssl_rate,
           1e6 / openssl_rate);
    printf("ratio libclerk/OpenSSL: %.2f (goal >= 0.90)\n", clerk_rate / openssl_rate);
    printf("clerk_version call overhead: %.2f ns/call\n", version_ns);

    EVP_PKEY_free(key);
    if (from_file) free(token); else clerk_string_free(token);
    clerk_verifier_free(verifier);
    free(config);
    free(private_pem);
    free(public_pem);
    return sink == 0 ? 1 : 0;
}
