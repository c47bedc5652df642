/* The tile driver (runtime/lib/tdrt_tiled.c) on a hand-written descriptor:
 * a (2, 3, 4) grid whose operands move along different grid dimensions, so
 * that every case of its bookkeeping runs: a tile copied in per tile in
 * boxes of 2 planes x 2 rows x 2 columns (A), an input kept in L1 while only
 * the last grid index moves (B), an output accumulated over the last grid
 * dimension (OUT: copied in, kept, copied out when its tile changes) and an
 * output written per tile (C). The test writes the inputs and compares the
 * results with numpy. PARALLEL (0 or 1) forks the kernel over the cores.
 * FIRST (0 or 1) gives the call a first kernel for the tiles whose index in
 * dimension 2 is 0, which starts OUT from zero: OUT is then copied out only.
 * A second call runs a kernel whose only operand is an output in L3 (slow
 * copies out, nothing copied in to order the buffers): the driver must wait
 * for the copy out of tile t before tile t + 2 writes the same buffer (the
 * testbench's hazard checker stops the run otherwise). */
#include "tdrt.h"
#include "tdrt_tiled.h"

#define G0 2
#define G1 3
#define G2 4
#define E 8 /* floats per tile of every operand */
#ifndef FIRST
#define FIRST 0
#endif

/* A[4][6][8]: tile (i, j, k) = planes 2i.., rows 2j.., columns 2k.. */
TDRT_L2 float a_home[4 * 6 * 8];
TDRT_L2 float b_home[G1 * E];         /* tile (i, j, k) = row j */
TDRT_L2 float out_home[G0 * G1 * E];  /* tile (i, j, k) = row (i, j) */
TDRT_L2 float c_home[G0 * G1 * G2 * E]; /* tile (i, j, k) = row (i, j, k) */
TDRT_L1 float l1_buffers[4][2][E];
#define D_TILES 8
#define D_E 256 /* 1 KiB tiles: each copy out to L3 takes longer than the kernel */
TDRT_L3 float d_home[D_TILES * D_E];
TDRT_L1 float d_buffers[2][D_E];

/* out[e] += a[e] * b[e] + 1; c[e] = a[e] - b[e] (element e on core e % cores) */
static void kernel(uint32_t a, uint32_t b, uint32_t out, uint32_t c, uint32_t x4, uint32_t x5,
                   uint32_t x6, uint32_t x7) {
    (void)x4; (void)x5; (void)x6; (void)x7;
    const float *pa = (const float *)a, *pb = (const float *)b;
    float *po = (float *)out, *pc = (float *)c;
    uint32_t first = PARALLEL ? tdrt_core_id() : 0, step = PARALLEL ? tdrt_num_cores() : 1;
    for (uint32_t e = first; e < E; e += step) {
        po[e] += pa[e] * pb[e] + 1.0f;
        pc[e] = pa[e] - pb[e];
    }
}

/* the first tile of each output tile (FIRST): out[e] = a[e] * b[e] + 1, as
 * `kernel` but starting from zero; c as `kernel` */
static void first_kernel(uint32_t a, uint32_t b, uint32_t out, uint32_t c, uint32_t x4,
                         uint32_t x5, uint32_t x6, uint32_t x7) {
    (void)x4; (void)x5; (void)x6; (void)x7;
    const float *pa = (const float *)a, *pb = (const float *)b;
    float *po = (float *)out, *pc = (float *)c;
    uint32_t first = PARALLEL ? tdrt_core_id() : 0, step = PARALLEL ? tdrt_num_cores() : 1;
    for (uint32_t e = first; e < E; e += step) {
        po[e] = pa[e] * pb[e] + 1.0f;
        pc[e] = pa[e] - pb[e];
    }
}

/* d[e] = e (element e on core e % cores) */
static void fill_kernel(uint32_t d, uint32_t x1, uint32_t x2, uint32_t x3, uint32_t x4, uint32_t x5,
                        uint32_t x6, uint32_t x7) {
    (void)x1; (void)x2; (void)x3; (void)x4; (void)x5; (void)x6; (void)x7;
    float *pd = (float *)d;
    uint32_t first = PARALLEL ? tdrt_core_id() : 0, step = PARALLEL ? tdrt_num_cores() : 1;
    for (uint32_t e = first; e < D_E; e += step) pd[e] = (float)e;
}

static struct tdrt_tiled_call call, out_only;

static void operand(uint32_t k, uint32_t mode, const float *home, uint32_t s0, uint32_t s1,
                    uint32_t s2, uint32_t row_len, uint32_t rows, uint32_t row_stride,
                    uint32_t planes, uint32_t plane_stride) {
    struct tdrt_tiled_operand *o = &call.operand[k];
    o->mode = mode;
    o->home = (uint32_t)home;
    o->l1[0] = (uint32_t)l1_buffers[k][0];
    o->l1[1] = (uint32_t)l1_buffers[k][1];
    o->step[0] = s0;
    o->step[1] = s1;
    o->step[2] = s2;
    o->row_len = row_len;
    o->rows = rows;
    o->row_stride = row_stride;
    o->planes = planes;
    o->plane_stride = plane_stride;
}

int main(void) {
    call.kernel = (uint32_t)kernel;
    call.flags = PARALLEL ? TDRT_TILED_PARALLEL : 0;
    call.operands = 4;
    call.grid[0] = G0;
    call.grid[1] = G1;
    call.grid[2] = G2;
    /* bytes: A's plane 6 x 8 floats, row 8 floats; a tile moves 2 planes, 2 rows, 2 columns */
    operand(0, TDRT_TILE_IN, a_home, 2 * 192, 2 * 32, 2 * 4, 8, 2, 32, 2, 192);
    operand(1, TDRT_TILE_IN, b_home, 0, 4 * E, 0, 4 * E, 1, 4 * E, 1, 0);
    if (FIRST) {
        /* out stays over grid dimension 2: its first tile there starts from zero */
        call.first_kernel = (uint32_t)first_kernel;
        call.first_dims = 4;
        call.flags |= TDRT_TILED_FIRST | (PARALLEL ? TDRT_TILED_FIRST_PARALLEL : 0);
    }
    operand(2, FIRST ? TDRT_TILE_OUT : TDRT_TILE_IN | TDRT_TILE_OUT, out_home, 4 * G1 * E, 4 * E, 0, 4 * E, 1, 4 * E, 1, 0);
    operand(3, TDRT_TILE_OUT, c_home, 4 * G1 * G2 * E, 4 * G2 * E, 4 * E, 4 * E, 1, 4 * E, 1, 0);
    tdrt_tiled(&call);

    out_only.kernel = (uint32_t)fill_kernel;
    out_only.flags = PARALLEL ? TDRT_TILED_PARALLEL : 0;
    out_only.operands = 1;
    out_only.grid[0] = out_only.grid[1] = 1;
    out_only.grid[2] = D_TILES;
    struct tdrt_tiled_operand *o = &out_only.operand[0];
    o->mode = TDRT_TILE_OUT;
    o->home = (uint32_t)d_home;
    o->l1[0] = (uint32_t)d_buffers[0];
    o->l1[1] = (uint32_t)d_buffers[1];
    o->step[2] = 4 * D_E;
    o->row_len = o->row_stride = 4 * D_E;
    o->rows = o->planes = 1;
    tdrt_tiled(&out_only);
    return 0;
}
