/* Parallel fp32 dot product: each core sums a contiguous chunk of x.y with
 * four accumulators, core 0 adds the partial sums after the join. */
#include "tdrt.h"

#define N 8192

TDRT_L1 float x[N];
TDRT_L1 float y[N];
TDRT_L1 float partial[8];
float result;
uint32_t cycles;

static void dot_chunk(void *arg) {
    (void)arg;
    uint32_t id = tdrt_core_id(), n = tdrt_num_cores();
    uint32_t chunk = N / n;
    const float *a = x + id * chunk, *b = y + id * chunk;
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (uint32_t i = 0; i < chunk; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    partial[id] = (s0 + s1) + (s2 + s3);
}

int main(void) {
    uint32_t t0 = (uint32_t)tdrt_cycles();
    tdrt_parallel(dot_chunk, 0);
    float s = 0;
    for (uint32_t c = 0; c < tdrt_num_cores(); c++) s += partial[c];
    result = s;
    cycles = (uint32_t)tdrt_cycles() - t0;
    return 0;
}
