// clerk.h used from C++: the header must compile cleanly and link with extern "C".
#include <cstdio>
#include <cstring>

#include "clerk.h"

int main() {
    char *json = nullptr;
    clerk_result rc = clerk_operations_json(&json);
    bool ok = rc == CLERK_RESULT_OK && json != nullptr && json[0] == '[' &&
              std::strcmp(clerk_result_name(CLERK_RESULT_DONE), "CLERK_RESULT_DONE") == 0 &&
              clerk_version()[0] != '\0';
    clerk_string_free(json);
    std::printf("test_header_cpp: %d passed, %d failed\n", ok ? 1 : 0, ok ? 0 : 1);
    return ok ? 0 : 1;
}
