/* Descriptor of a tiled kernel call, read by tdrt_tiled (runtime/lib/tdrt_tiled.c)
 * and written as .rodata words by tdopt (cluster.tiled_descriptor, lowered by
 * convert-cluster-to-riscv). The compiler reads this header (runtime/tiled.py):
 * the structs' field order and the TDRT_* values below are stated here only. */
#ifndef TDRT_TILED_H
#define TDRT_TILED_H
#include <stdint.h>

#define TDRT_TILED_MAX_OPERANDS 8
#define TDRT_TILED_PARALLEL 1u /* flags: fork the kernel over every active core */
#define TDRT_TILED_FIRST_PARALLEL 2u /* flags: fork first_kernel over every active core */
#define TDRT_TILED_FIRST 4u /* flags: the call has a first_kernel */
#define TDRT_TILED_EPILOGUE 8u /* flags: the call has an epilogue */
#define TDRT_TILED_EPILOGUE_PARALLEL 16u /* flags: fork the epilogue over every active core */
#define TDRT_TILED_PREFETCH 32u /* flags: copy in `next`'s first tiles of `prefetch` during the last tile */
#define TDRT_TILE_IN 1u        /* operand mode: copy home -> L1 before the kernel */
#define TDRT_TILE_OUT 2u       /* operand mode: copy L1 -> home after the kernel */
/* operand mode, with TDRT_TILE_IN: the tiled call before copied the first
 * tile in (its `next` is this call and its `prefetch` has this operand) */
#define TDRT_TILE_PREFETCHED 4u

struct tdrt_tiled_operand {
    uint32_t mode;         /* TDRT_TILE_IN | TDRT_TILE_OUT; 0: resident, l1[] = home */
    uint32_t home;         /* address of tile (0, 0, 0) in its home tier */
    uint32_t l1[2];        /* the two L1 buffers (double buffering) */
    uint32_t step[3];      /* home bytes between neighbouring tiles, per grid dimension */
    uint32_t row_len;      /* bytes per row */
    uint32_t rows;         /* rows per plane */
    uint32_t row_stride;   /* home bytes between rows */
    uint32_t planes;       /* planes (one 2-D transfer each) */
    uint32_t plane_stride; /* home bytes between planes */
};

struct tdrt_tiled_call {
    uint32_t kernel;   /* kernel address; its arguments are the operands' L1 buffers */
    /* 0, or the kernel run instead on the tiles whose grid index is 0 in every
     * dimension of the mask first_dims (bit d: dimension d), e.g. the first
     * tile of a cut reduction, which starts its accumulators from zero */
    uint32_t first_kernel;
    uint32_t first_dims;
    /* 0, or the kernel run after `kernel` (same arguments) on the tiles whose
     * grid index is the last in every dimension of the mask epilogue_dims:
     * an elementwise consumer of an output tile once its cut reduction is
     * complete (a bias add and a ReLU after a product), while the tile is
     * still in L1 */
    uint32_t epilogue;
    uint32_t epilogue_dims;
    uint32_t flags;
    /* with TDRT_TILED_PREFETCH: the tiled call that runs next (its
     * descriptor), and the mask of its operands (bit k: operand k) whose
     * first tile this call copies into their first L1 buffer while its own
     * last tile computes; those are TDRT_TILE_PREFETCHED there. The compiler
     * vouches that this call writes none of their tiles and uses none of
     * those buffers */
    uint32_t next;
    uint32_t prefetch;
    uint32_t operands; /* at most TDRT_TILED_MAX_OPERANDS */
    uint32_t grid[3];  /* tiles per grid dimension, outermost first (unused: 1) */
    struct tdrt_tiled_operand operand[TDRT_TILED_MAX_OPERANDS];
};

void tdrt_tiled(const struct tdrt_tiled_call *c);

#endif
