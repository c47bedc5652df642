/* Double-buffered tile driver of compiled programs (`tier.tiled_call`).
 *
 * A tiled kernel call is described by a table in .rodata (layout: struct
 * tdrt_tiled_call in tdrt_tiled.h, written by convert-entry-to-riscv). The
 * kernel runs once per tile of a grid of up to three dimensions; each operand
 * has a home (L2 or L3) and two L1 buffers. Core 0 drives the DMA:
 *
 *   copy in tile 0 -> buffers A
 *   for each tile t:
 *       copy in tile t+1 -> the other buffers   (overlaps the compute of t)
 *       wait for tile t's copies in
 *       run the kernel on tile t's buffers (forked over every core or on core 0)
 *       copy out tile t
 *   wait for every transfer
 *
 * An operand whose tile is the same for tiles t and t+1 (its home offset does
 * not change: an input the grid step does not move, an output accumulated
 * over a cut reduction loop) stays in its buffer: no copy in for t+1, no copy
 * out after t; it is copied out after the last tile that uses it. One the
 * grid never moves (every delta 0) only ever uses its first buffer: the
 * compiler gives it one (both addresses alike).
 *
 * The DMA completes transfers in queue order, so a copy in of tile t+1 into
 * the buffer an earlier tile used happens after that tile's copy out has read
 * it, and waiting for tile t's last copy in also waits for everything queued
 * before. A tile with nothing to copy in (an output-only kernel, or inputs
 * kept in L1) waits instead for the copy out that last read each of its
 * buffers: the kernel must not overwrite a buffer the DMA is still reading.
 *
 * Cost: the descriptor lives in L2 (several cycles a load, one port for the
 * cluster), so its operands are copied once per call into core 0's stack in
 * L1 by one DMA transfer, and an operand's home moves by a delta per grid
 * dimension instead of being recomputed from the grid index. About 300
 * cycles a tile for three copied operands, against 900 when the loop read
 * the descriptor (python -m tdopt.tools.tilebench).
 *
 * A call may name a second kernel, `first_kernel`, for the tiles whose grid
 * index is 0 in the dimensions of `first_dims`: the compiler gives the first
 * tile of a cut reduction a kernel that starts from zero, so the output is
 * copied out only, never filled nor copied in.
 *
 * A call may also name an `epilogue`, run after the kernel (same arguments)
 * on the tiles whose grid index is the last in the dimensions of
 * `epilogue_dims`: the compiler gives a product the elementwise kernel that
 * read its output (a bias add and a ReLU), which then works on the output
 * tile while it is complete and still in L1, before it is copied out.
 *
 * The first tile's copies overlap no compute of their call. So a call may
 * name the call that runs after it (`next`, flag TDRT_TILED_PREFETCH) and
 * those of its operands (`prefetch`) whose first tiles it copies in during
 * its own last tile, queued before that tile's kernel runs; the next call
 * skips their first copy (mode TDRT_TILE_PREFETCHED). The final
 * tdrt_dma_wait_all of the call waits for them too. The compiler
 * (`tier-prefetch-first-tiles`) vouches that the call writes none of those
 * tiles' bytes and that their L1 buffers are none of its own. */
#include "tdrt.h"
#include "tdrt_tiled.h"

typedef void (*tdrt_kernel_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t,
                               uint32_t, uint32_t);

/* An operand as the tile loop sees it, in core 0's stack (L1): its
 * descriptor, copied there by one DMA transfer per call (the descriptor is
 * in L2, where each load waits several cycles), with `home` the home address
 * of the current tile and l1[0] its buffer, l1[1] the other one; and what
 * the loop keeps besides. */
struct operand_state {
    struct tdrt_tiled_operand o;
    int32_t out, out_other; /* the last copy out of l1[0], of l1[1], or -1 */
    uint32_t delta[3];      /* home change when grid index d advances (the ones after it wrap) */
};

static void call_block(void *block) {
    const uint32_t *b = (const uint32_t *)block;
    ((tdrt_kernel_fn)b[0])(b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
}

/* Queue the copy of operand o's tile at `home_addr` between home and the L1
 * buffer at `l1`, in direction `mode`; returns the DMA id of its last transfer. */
static int32_t copy_operand(const struct tdrt_tiled_operand *o, uint32_t home_addr, uint32_t l1,
                            uint32_t mode) {
    int32_t last = -1;
    uint8_t *home = (uint8_t *)home_addr;
    uint8_t *local = (uint8_t *)l1;
    uint32_t plane_bytes = o->row_len * o->rows;
    for (uint32_t p = 0; p < o->planes; p++) {
        if (mode == TDRT_TILE_IN)
            last = (int32_t)tdrt_dma_start_2d(local, home, o->row_len, o->rows, o->row_len,
                                              o->row_stride);
        else
            last = (int32_t)tdrt_dma_start_2d(home, local, o->row_len, o->rows, o->row_stride,
                                              o->row_len);
        home += o->plane_stride;
        local += plane_bytes;
    }
    return last;
}

/* The first tiles of the next call's operands in this call's `prefetch`,
 * copied into their first buffers; read from the next call's descriptor in
 * L2 (a few loads an operand, once a call). */
static __attribute__((noinline)) void prefetch_next(const struct tdrt_tiled_call *c) {
    const struct tdrt_tiled_call *next = (const struct tdrt_tiled_call *)c->next;
    uint32_t k = 0;
    for (uint32_t mask = c->prefetch; mask; mask >>= 1, k++) {
        if (mask & 1u) {
            const struct tdrt_tiled_operand *o = &next->operand[k];
            copy_operand(o, o->home, o->l1[0], TDRT_TILE_IN);
        }
    }
}

/* The tile loop, inlined once per combination of a first kernel
 * (`with_first`) and an epilogue (`with_epilogue`): the common case, with
 * neither, keeps no more in registers than it had before either existed. */
static inline __attribute__((always_inline)) void tile_loop(const struct tdrt_tiled_call *c,
                                                            const uint32_t flags,
                                                            const uint32_t with_first,
                                                            const uint32_t with_epilogue) {
    const uint32_t n = c->operands;
    const uint32_t g0 = c->grid[0], g1 = c->grid[1], g2 = c->grid[2];
    const uint32_t tiles = g0 * g1 * g2;
    const uint32_t kernel = c->kernel;
    const uint32_t parallel = flags & TDRT_TILED_PARALLEL;
    const uint32_t first_parallel = with_first ? flags & TDRT_TILED_FIRST_PARALLEL : 0;
    const uint32_t first_kernel = with_first ? c->first_kernel : 0;
    const uint32_t first_dims = with_first ? c->first_dims : 0;
    const uint32_t epilogue = with_epilogue ? c->epilogue : 0;
    const uint32_t epilogue_dims = with_epilogue ? c->epilogue_dims : 0;
    const uint32_t epilogue_parallel = with_epilogue ? flags & TDRT_TILED_EPILOGUE_PARALLEL : 0;
    /* VLA: as many as the call has, 68 bytes each (544 with the 8 a call may
     * have), within core 0's 1 KiB stack with the kernels' frames */
    struct operand_state s[n ? n : 1];
    /* kernel address, then its eight register arguments (read by every core) */
    uint32_t args[1 + TDRT_TILED_MAX_OPERANDS];
    int32_t pending = -1;
    args[0] = kernel;
    for (uint32_t k = 0; k < TDRT_TILED_MAX_OPERANDS; k++) args[1 + k] = 0;
    if (n) {
        /* every operand's descriptor into its state, one 2-D transfer */
        tdrt_dma_wait(tdrt_dma_start_2d(s, c->operand, sizeof(struct tdrt_tiled_operand), n,
                                        sizeof(struct operand_state),
                                        sizeof(struct tdrt_tiled_operand)));
    }
    for (uint32_t k = 0; k < n; k++) {
        struct operand_state *p = &s[k];
        uint32_t st0 = p->o.step[0], st1 = p->o.step[1], st2 = p->o.step[2];
        /* odometer order, dimension 2 fastest: advancing d resets those after it */
        p->delta[2] = st2;
        p->delta[1] = st1 - (g2 - 1) * st2;
        p->delta[0] = st0 - (g1 - 1) * st1 - (g2 - 1) * st2;
        p->out = p->out_other = -1;
        args[1 + k] = p->o.l1[0];
        /* tile 0's copy in, unless the call before made it */
        if ((p->o.mode & (TDRT_TILE_IN | TDRT_TILE_PREFETCHED)) == TDRT_TILE_IN)
            pending = copy_operand(&p->o, p->o.home, p->o.l1[0], TDRT_TILE_IN);
    }
    uint32_t i0 = 0, i1 = 0, i2 = 0; /* grid index of the current tile */
    for (uint32_t t = 0; t < tiles; t++) {
        /* the current tile's kernel: first_kernel when its index is 0 in every
         * dimension of first_dims */
        uint32_t first = 0;
        if (with_first) {
            first = !((first_dims & 1u) && i0) && !((first_dims & 2u) && i1) &&
                    !((first_dims & 4u) && i2);
            args[0] = first ? first_kernel : kernel;
        } else if (with_epilogue) {
            args[0] = kernel; /* the epilogue of the tile before took its place */
        }
        /* the current tile is complete after it: its index is the last in
         * every dimension of epilogue_dims */
        uint32_t last = 0;
        if (with_epilogue)
            last = !((epilogue_dims & 1u) && i0 != g0 - 1) && !((epilogue_dims & 2u) && i1 != g1 - 1) &&
                   !((epilogue_dims & 4u) && i2 != g2 - 1);
        /* the last transfer this tile depends on: its copies in, and the copy
         * out still reading a buffer it writes (ids count up, in queue order) */
        int32_t need = pending;
        uint32_t d = 3; /* the grid dimension tile t+1 advances (3: no tile t+1) */
        pending = -1;
        if (t + 1 < tiles) {
            if (++i2 < g2) {
                d = 2;
            } else {
                i2 = 0;
                if (++i1 < g1) {
                    d = 1;
                } else {
                    i1 = 0;
                    if (with_first || with_epilogue) i0++;
                    d = 0;
                }
            }
        }
        for (uint32_t k = 0; k < n; k++) {
            const struct operand_state *p = &s[k];
            if (!p->o.mode) continue;
            int32_t busy = p->out;
            if (busy >= 0 && (need < 0 || (int32_t)((uint32_t)busy - (uint32_t)need) > 0)) need = busy;
            /* tile t+1's copy in, unless it is tile t's (then it stays) */
            if (d < 3 && (p->o.mode & TDRT_TILE_IN) && p->delta[d] != 0)
                pending = copy_operand(&p->o, p->o.home + p->delta[d], p->o.l1[1], TDRT_TILE_IN);
        }
        /* the last tile: the next call's first tiles, behind this one's copies */
        if (d == 3 && (flags & TDRT_TILED_PREFETCH)) prefetch_next(c);
        if (need >= 0) tdrt_dma_wait((uint32_t)need);
        if (first ? first_parallel : parallel) /* first is 0 without a first kernel */
            tdrt_parallel(call_block, args);
        else
            call_block(args);
        if (last) { /* 0 without an epilogue */
            args[0] = epilogue;
            if (epilogue_parallel)
                tdrt_parallel(call_block, args);
            else
                call_block(args);
        }
        for (uint32_t k = 0; k < n; k++) {
            struct operand_state *p = &s[k];
            if (!p->o.mode) continue;
            uint32_t delta = d < 3 ? p->delta[d] : 1; /* after the last tile: every tile out */
            if (delta == 0) continue;                 /* tile t+1 is tile t's: it stays */
            int32_t out = p->out;
            if (p->o.mode & TDRT_TILE_OUT) out = copy_operand(&p->o, p->o.home, p->o.l1[0], TDRT_TILE_OUT);
            /* tile t+1 goes to the other buffer */
            uint32_t l1 = p->o.l1[0];
            p->o.l1[0] = p->o.l1[1];
            p->o.l1[1] = l1;
            p->out = p->out_other;
            p->out_other = out;
            args[1 + k] = p->o.l1[0];
            p->o.home += delta;
        }
    }
    tdrt_dma_wait_all();
}

/* The loops with an epilogue, out of line: tdrt_tiled keeps the two it had
 * before epilogues existed as they were (inlined, the common case first). */
static __attribute__((noinline)) void tile_loop_epilogue(const struct tdrt_tiled_call *c,
                                                         const uint32_t flags, const uint32_t first) {
    if (first)
        tile_loop(c, flags, 1, 1);
    else
        tile_loop(c, flags, 0, 1);
}

void tdrt_tiled(const struct tdrt_tiled_call *c) {
    const uint32_t flags = c->flags; /* one L2 load: the flags say which loop runs */
    if (flags & TDRT_TILED_EPILOGUE)
        tile_loop_epilogue(c, flags, (flags & TDRT_TILED_FIRST) && c->first_kernel);
    else if ((flags & TDRT_TILED_FIRST) && c->first_kernel)
        tile_loop(c, flags, 1, 0);
    else
        tile_loop(c, flags, 0, 0);
}
