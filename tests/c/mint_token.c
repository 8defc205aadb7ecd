/* Prints a session token signed with a PEM key: mint_token KEY_PATH KID [CLAIMS_JSON]. */
#include <stdio.h>

#include "helpers.h"

int main(int argc, char **argv) {
    char *pem, *token;
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s KEY_PATH KID [CLAIMS_JSON]\n", argv[0]);
        return 2;
    }
    pem = read_file(argv[1]);
    token = mint_token(pem, argv[2], argc == 4 ? argv[3] : NULL, NULL);
    printf("token=%s\n", token);
    clerk_string_free(token);
    free(pem);
    return 0;
}
