/* 96 KiB of L1 data: fits a 128 KiB L1 but not a 64 KiB one. */
#include "tdrt.h"

TDRT_L1 uint8_t big[96 * 1024];

int main(void) { return big[0]; }
