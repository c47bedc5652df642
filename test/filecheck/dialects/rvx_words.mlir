// rvx.words, a tensor's initial data as one dense array of 32-bit words
// (convert-globals-to-sections emits it): printed back unchanged, also after
// a second parse and through the generic form, and emitted as `.word`
// directives of 16 hex words a line (the 17th word starts a new line).
// (Verifier errors: rvx_words_errors.mlir.)
// RUN: tdopt %s | filecheck %s
// RUN: tdopt %s | tdopt | filecheck %s
// RUN: tdopt %s --print-op-generic | tdopt | filecheck %s
// RUN: tdopt %s -t riscv-asm | filecheck %s --check-prefix=ASM

// CHECK:      riscv.label "w"
// CHECK-NEXT: rvx.words [1065353216, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 2142952365]
// ASM:        w:
// ASM-NEXT:   .word 0x3f800000,0xffffffff,0x00000000,0x00000001,0x00000002,0x00000003,0x00000004,0x00000005,0x00000006,0x00000007,0x00000008,0x00000009,0x0000000a,0x0000000b,0x0000000c,0x0000000d
// ASM-NEXT:   .word 0x7fbadbad
// ASM-NEXT:   .size w, 68
riscv.assembly_section ".data" {
  riscv.label "w"
  rvx.words [1065353216, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 2142952365]
  riscv.directive ".size" "w, 68"
}
