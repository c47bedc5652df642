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
 * out after t; it is copied out after the last tile that uses it.
 *
 * The DMA completes transfers in queue order, so a copy in of tile t+1 into
 * the buffer an earlier tile used happens after that tile's copy out has read
 * it, and waiting for tile t's last copy in also waits for everything queued
 * before. A tile with nothing to copy in (an output-only kernel, or inputs
 * kept in L1) waits instead for the copy out that last read each of its
 * buffers: the kernel must not overwrite a buffer the DMA is still reading. */
#include "tdrt.h"
#include "tdrt_tiled.h"

typedef void (*tdrt_kernel_fn)(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t,
                               uint32_t, uint32_t);

/* Kernel address, then its eight register arguments. */
static uint32_t tile_args[1 + TDRT_TILED_MAX_OPERANDS];

static void call_block(void *block) {
    const uint32_t *b = (const uint32_t *)block;
    ((tdrt_kernel_fn)b[0])(b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
}

static uint32_t home_offset(const struct tdrt_tiled_operand *o, const uint32_t idx[3]) {
    return idx[0] * o->step[0] + idx[1] * o->step[1] + idx[2] * o->step[2];
}

/* Queue the copy of operand k's tile at `idx` between home and L1 buffer
 * `buf`, in direction `mode`; returns the DMA id of its last transfer. */
static int32_t copy_operand(const struct tdrt_tiled_operand *o, const uint32_t idx[3],
                            uint32_t buf, uint32_t mode) {
    int32_t last = -1;
    uint8_t *home = (uint8_t *)(o->home + home_offset(o, idx));
    uint8_t *local = (uint8_t *)o->l1[buf];
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

static void next_index(const struct tdrt_tiled_call *c, uint32_t idx[3]) {
    for (int d = 2; d >= 0; d--) {
        if (++idx[d] < c->grid[d]) return;
        idx[d] = 0;
    }
}

void tdrt_tiled(const struct tdrt_tiled_call *c) {
    uint32_t tiles = c->grid[0] * c->grid[1] * c->grid[2];
    uint32_t cur[3] = {0, 0, 0};
    uint32_t nxt[3] = {0, 0, 0};
    uint32_t buf[TDRT_TILED_MAX_OPERANDS]; /* the buffer holding each operand's tile */
    int32_t out_id[TDRT_TILED_MAX_OPERANDS][2]; /* last copy out of each buffer, or -1 */
    int32_t pending = -1;
    for (uint32_t k = 0; k < c->operands; k++) {
        buf[k] = 0;
        out_id[k][0] = out_id[k][1] = -1;
        if (c->operand[k].mode & TDRT_TILE_IN)
            pending = copy_operand(&c->operand[k], cur, 0, TDRT_TILE_IN);
    }
    for (uint32_t t = 0; t < tiles; t++) {
        int32_t this_tile = pending;
        uint32_t keep = 0; /* operands whose tile t+1 is tile t's: bit k */
        pending = -1;
        if (t + 1 < tiles) {
            next_index(c, nxt);
            for (uint32_t k = 0; k < c->operands; k++) {
                const struct tdrt_tiled_operand *o = &c->operand[k];
                if (!o->mode) continue;
                if (home_offset(o, nxt) == home_offset(o, cur)) {
                    keep |= 1u << k;
                } else if (o->mode & TDRT_TILE_IN) {
                    pending = copy_operand(o, nxt, buf[k] ^ 1, TDRT_TILE_IN);
                }
            }
        }
        /* the last transfer this tile depends on: its copies in, and the copy
         * out still reading a buffer it writes (ids count up, in queue order) */
        int32_t need = this_tile;
        for (uint32_t k = 0; k < c->operands; k++) {
            int32_t busy = out_id[k][buf[k]];
            if (busy >= 0 && (need < 0 || (int32_t)((uint32_t)busy - (uint32_t)need) > 0)) need = busy;
        }
        if (need >= 0) tdrt_dma_wait((uint32_t)need);
        tile_args[0] = c->kernel;
        for (uint32_t k = 0; k < TDRT_TILED_MAX_OPERANDS; k++)
            tile_args[1 + k] = k < c->operands ? c->operand[k].l1[buf[k]] : 0;
        if (c->flags & TDRT_TILED_PARALLEL)
            tdrt_parallel(call_block, tile_args);
        else
            call_block(tile_args);
        for (uint32_t k = 0; k < c->operands; k++) {
            const struct tdrt_tiled_operand *o = &c->operand[k];
            if (!o->mode || (keep >> k) & 1u) continue;
            if (o->mode & TDRT_TILE_OUT) out_id[k][buf[k]] = copy_operand(o, cur, buf[k], TDRT_TILE_OUT);
            buf[k] ^= 1;
        }
        next_index(c, cur);
    }
    tdrt_dma_wait_all();
}
