/* One 64 KiB L2->L1 transfer, timed with the cycle counter around start+wait. */
#include "tdrt.h"

#define BYTES 65536

TDRT_L2 uint8_t src[BYTES];
TDRT_L1 uint8_t dst[BYTES];
uint32_t cycles;
uint32_t dma_bytes_seen;  /* L2->L1 DMA byte counter as read by the program */
uint32_t instret_seen;    /* core 0's retired-instruction counter */

int main(void) {
    uint32_t t0 = (uint32_t)tdrt_cycles();
    uint32_t id = tdrt_dma_start_1d(dst, src, BYTES);
    tdrt_dma_wait(id);
    cycles = (uint32_t)tdrt_cycles() - t0;
    dma_bytes_seen = tdrt_dma_bytes(1, 0);
    instret_seen = tdrt_core_counter(0, TDRT_CNT_INSTRET);
    return 0;
}
