/* Core 0 loads one L1 word 2048 times while the DMA copies 16 KiB L2->L1 into
 * a different L1 buffer: the DMA holds the banks it writes, so some of the
 * core's loads lose arbitration (counted as stall_bank). */
#include "tdrt.inc"

    .text
    .globl main
main:
    la      a0, dst
    la      a1, src
    li      a2, 16384
    TDRT_DMA_1D a3, a0, a1, a2, t0
    la      a0, word
    li      t2, 32
1:
    .rept 64
    lw      t3, 0(a0)
    .endr
    addi    t2, t2, -1
    bnez    t2, 1b
    TDRT_DMA_WAIT a3, t0
    li      a0, 0
    ret

    .section .l1, "aw"
    .align 3
word:   .space 8
dst:    .space 16384
    .section .l2, "aw"
    .align 3
src:    .space 16384
