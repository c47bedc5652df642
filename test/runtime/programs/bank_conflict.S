/* Two cores issue 512 back-to-back loads each. With `same_bank` = 1 both read
 * the same L1 word (every load contends for one bank); with 0 core c reads
 * word c (different banks, no contention). */
#include "tdrt.inc"

    .text
    .globl main
main:
    addi    sp, sp, -16
    sw      ra, 12(sp)
    la      a0, hammer
    li      a2, 0
    TDRT_FORK a0, a2
    li      a0, 0
    lw      ra, 12(sp)
    addi    sp, sp, 16
    ret

hammer:
    TDRT_CORE_ID t0
    la      t1, same_bank
    lw      t1, 0(t1)
    la      a0, words
    bnez    t1, 1f
    slli    t0, t0, 2
    add     a0, a0, t0
1:  li      t2, 8
2:
    .rept 64
    lw      t3, 0(a0)
    .endr
    addi    t2, t2, -1
    bnez    t2, 2b
    ret

    .data
    .globl same_bank
    .type same_bank, @object
    .size same_bank, 4
same_bank: .word 0

    .section .l1, "aw"
    .align 6
words: .space 64
