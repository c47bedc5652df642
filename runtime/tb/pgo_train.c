/* Training workload of the profile-guided C++ build of the Verilator model
 * (runtime/model.py): a short program with the instruction mix of a tiled
 * training step, so the profile sees the simulator code those steps use.
 * Every active core runs fp32 multiply-accumulates on L1 tiles that the DMA
 * brings in from L2 (double-buffered), divisions and barriers; between the
 * parallel regions core 0 alone reduces partial sums read from L1 and L2
 * while the other cores wait in the fork barrier, and writes them to L2 by a
 * 2-D DMA. Nothing checks its results: only which paths of the simulator
 * run matters, and the profile changes the speed of the model, never what
 * it computes. */
#include "tdrt.h"

#define TILE 1024   /* floats per input tile */
#define ROWS 256    /* outputs per parallel region */
#define LEN 64      /* multiply-accumulates per output */
#define SERIAL 16   /* outputs per core that core 0 reduces alone */
#define ROUNDS 16

static float src[2][TILE];  /* L2: the two input tiles */
static float l2_out[8][ROWS];
TDRT_L1 static float tile[2][TILE];
TDRT_L1 static float weight[LEN];
TDRT_L1 static float part[8][ROWS];
volatile float sink;

static void mac_rows(void *arg) {
    const float *x = (const float *)arg;
    uint32_t id = tdrt_core_id(), n = tdrt_num_cores();
    for (uint32_t r = id; r < ROWS; r += n) {
        const float *p = x + (r * 13) % (TILE - LEN);
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (uint32_t i = 0; i < LEN; i += 4) {
            s0 += p[i] * weight[i];
            s1 += p[i + 1] * weight[i + 1];
            s2 += p[i + 2] * weight[i + 2];
            s3 += p[i + 3] * weight[i + 3];
        }
        part[id][r] = (s0 + s1) + (s2 + s3);
    }
    tdrt_barrier();
    /* a normalisation: one division per output of this core */
    for (uint32_t r = id; r < ROWS; r += n) part[id][r] = part[id][r] / (1.0f + (float)r);
}

int main(void) {
    for (uint32_t i = 0; i < TILE; i++) {
        src[0][i] = (float)(i % 17) * 0.25f - 2.0f;
        src[1][i] = (float)(i % 11) * 0.5f - 2.5f;
    }
    for (uint32_t i = 0; i < LEN; i++) weight[i] = (float)(i % 5) - 2.0f;
    uint32_t pending = tdrt_dma_start_1d(tile[0], src[0], sizeof tile[0]);
    for (uint32_t round = 0; round < ROUNDS; round++) {
        uint32_t cur = round & 1;
        uint32_t next = tdrt_dma_start_1d(tile[cur ^ 1], src[cur ^ 1], sizeof tile[0]);
        tdrt_dma_wait(pending);
        tdrt_parallel(mac_rows, tile[cur]);
        pending = next;
        float s = 0;
        for (uint32_t c = 0; c < tdrt_num_cores(); c++)
            for (uint32_t r = 0; r < SERIAL; r++) s += part[c][r] + l2_out[c][r];
        sink = s;
        tdrt_dma_wait(tdrt_dma_start_2d(l2_out, part, sizeof part[0], 8, sizeof l2_out[0],
                                        sizeof part[0]));
    }
    tdrt_dma_wait(pending);
    return 0;
}
