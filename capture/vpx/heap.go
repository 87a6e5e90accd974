package vpx

/*
#include <malloc.h>

static size_t heap_in_use(void) {
	struct mallinfo2 m = mallinfo2();
	return m.uordblks + m.hblkhd;
}
*/
import "C"

// cHeapInUse is the C heap in use in bytes (glibc mallinfo2: allocated
// chunks plus mmapped ones), what libvpx allocates; the leak test reads it.
func cHeapInUse() int { return int(C.heap_in_use()) }
