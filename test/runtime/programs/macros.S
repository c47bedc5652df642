/* Exercises every macro of tdrt.inc. In a parallel region each core writes
 * its id into ids[id] and passes a barrier; then core 0 gathers a 4x8-byte
 * block from a 16-byte-pitch L3 matrix into L1 with a 2-D DMA, prints "ok",
 * and ends the run with exit code = number of cores (via TDRT_EXIT). */
#include "tdrt.inc"

    .text
    .globl main
main:
    la      a0, record_id
    li      a2, 0
    TDRT_FORK a0, a2

    la      a0, gathered
    la      a1, matrix
    li      a2, 8                   /* row_len */
    li      a3, 4                   /* rows */
    li      a4, 8                   /* dst stride */
    li      a5, 16                  /* src stride */
    TDRT_DMA_2D a6, a0, a1, a2, a3, a4, a5, t0
    TDRT_DMA_WAIT_ALL t0
    la      t1, dma_id
    sw      a6, 0(t1)

    TDRT_CYCLES t2
    la      t1, cycles_seen
    sw      t2, 0(t1)

    li      t2, 'o'
    TDRT_PUTCHAR t2, t0
    li      t2, 'k'
    TDRT_PUTCHAR t2, t0
    TDRT_NUM_CORES a0
    TDRT_EXIT a0, t0

record_id:
    TDRT_CORE_ID t1
    slli    t2, t1, 2
    la      t3, ids
    add     t3, t3, t2
    sw      t1, 0(t3)
    TDRT_BARRIER t0
    ret

    .data
    .globl ids, dma_id, cycles_seen
    .type ids, @object
    .size ids, 32
ids:    .word -1, -1, -1, -1, -1, -1, -1, -1
    .type dma_id, @object
    .size dma_id, 4
dma_id: .word -1
    .type cycles_seen, @object
    .size cycles_seen, 4
cycles_seen: .word 0

    .section .l3, "aw"
    .globl matrix
    .type matrix, @object
    .size matrix, 64
matrix: .space 64

    .section .l1, "aw"
    .globl gathered
    .type gathered, @object
    .size gathered, 32
gathered: .space 32
