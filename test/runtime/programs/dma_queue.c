/* Twelve 256-byte L2->L1 transfers started back to back: more than the queue
 * holds, so later starts block until a slot frees. The ids are recorded; the
 * program then waits for them newest first. */
#include "tdrt.h"

#define N 12
#define CHUNK 256

TDRT_L2 uint8_t src[N * CHUNK];
TDRT_L1 uint8_t dst[N * CHUNK];
uint32_t ids[N];
uint32_t done_before_wait;

int main(void) {
    for (int i = 0; i < N; i++) ids[i] = tdrt_dma_start_1d(dst + i * CHUNK, src + i * CHUNK, CHUNK);
    done_before_wait = TDRT_REG(TDRT_REG_DMA_DONE);
    for (int i = N - 1; i >= 0; i--) tdrt_dma_wait(ids[i]);
    return tdrt_dma_done(ids[N - 1]) ? 0 : 1;
}
