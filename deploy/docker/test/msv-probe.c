/* Loads a MambaServe native library the way the server does (dlopen, then the C API by name) and prints what
 * msv_backend_name() answers: "cpu", "cuda" or "hip". Used by test-images.sh inside an image's root, where no
 * compiler exists: test-images.sh compiles it on the host and runs it in a chroot of the mounted image.
 *   msv-probe /app/libmambaserve_hip.so      -> prints "hip", exit 0; a load failure prints dlerror(), exit 1 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: msv-probe LIBRARY\n");
        return 2;
    }
    void* library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "msv-probe: %s\n", dlerror());
        return 1;
    }
    const char* (*backend_name)(void) = (const char* (*)(void))dlsym(library, "msv_backend_name");
    if (backend_name == NULL) {
        fprintf(stderr, "msv-probe: %s\n", dlerror());
        return 1;
    }
    printf("%s\n", backend_name());
    return 0;
}
