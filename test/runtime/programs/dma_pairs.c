/* DMA between every pair of tiers, 1-D and 2-D, unaligned. Each tier has a
 * source buffer and a destination buffer with one 1 KiB slot per (source tier,
 * kind). The host fills the buffers and checks the destinations. */
#include "tdrt.h"

#define SLOT 1024
#define SRC_BYTES 4096

TDRT_L1 uint8_t src_l1[SRC_BYTES];
TDRT_L2 uint8_t src_l2[SRC_BYTES];
TDRT_L3 uint8_t src_l3[SRC_BYTES];
TDRT_L1 uint8_t dst_l1[6 * SLOT];
TDRT_L2 uint8_t dst_l2[6 * SLOT];
TDRT_L3 uint8_t dst_l3[6 * SLOT];

/* Parameters, also used by the host to compute the expected bytes. */
#define SRC_OFF_1D 3
#define DST_OFF_1D 5
#define LEN_1D 1001
#define SRC_OFF_2D 7
#define DST_OFF_2D 2
#define ROW_2D 37
#define ROWS_2D 9
#define SRC_STRIDE_2D 50
#define DST_STRIDE_2D 41

int main(void) {
    uint8_t *srcs[3] = {src_l1, src_l2, src_l3};
    uint8_t *dsts[3] = {dst_l1, dst_l2, dst_l3};
    for (int s = 0; s < 3; s++) {
        for (int d = 0; d < 3; d++) {
            uint8_t *slot1 = dsts[d] + (2 * s) * SLOT, *slot2 = dsts[d] + (2 * s + 1) * SLOT;
            uint32_t a = tdrt_dma_start_1d(slot1 + DST_OFF_1D, srcs[s] + SRC_OFF_1D, LEN_1D);
            uint32_t b = tdrt_dma_start_2d(slot2 + DST_OFF_2D, srcs[s] + SRC_OFF_2D, ROW_2D,
                                           ROWS_2D, DST_STRIDE_2D, SRC_STRIDE_2D);
            tdrt_dma_wait(a);
            tdrt_dma_wait(b);
        }
    }
    return 0;
}
