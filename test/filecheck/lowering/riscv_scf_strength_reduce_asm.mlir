// RUN: tdopt %s --emit=asm | filecheck %s

// The full pipeline on a 16x32 @ 32x16 matmul: the multiply-accumulate loop
// is register-blocked by 16 (interleave-contractions{pipeline_depth=16}: one
// load of %a feeds sixteen fmadd.s into sixteen accumulators), every address
// is a pointer advanced by a constant (riscv-scf-strength-reduce), and no
// address is recomputed with `mul` inside the loops (the prologue may split
// the rows between the cores). The sixteen columns of %b are one pointer
// with the column offsets 0..60 as load immediates (two `addi` per
// iteration), and each load of %b sits one instruction ahead of its fmadd.s
// (riscv-allocate-registers-full's load scheduling): two registers alternate
// for %b, so the sixteen accumulators fit. The k loop is a CORE-V hardware
// loop: `cv.setup` (a `.word`) with the trip count 32 in a register, the
// body up to the end label, no compare-and-branch per iteration; the `blt`
// after the label closes the once-only loop around it.
// CHECK-LABEL: k_matmul_0_1:
// CHECK:       {{^}}scf_body_{{[0-9]+}}_for:
// CHECK-NOT:   {{^ *mul }}
// the accumulators are loaded once per output block, at offsets 0..60
// CHECK:       flw {{f[a-z0-9]+}}, 60(
// CHECK:       li [[COUNT:[a-z0-9]+]], 32
// CHECK:       {{^}}[[START:k_matmul_0_1_hwloop_[0-9]+_start]]:
// CHECK-NEXT:  .word 0x2b | (4 << 12) | (14 << 7) | ({{[0-9]+}} << 15) | ((([[END:k_matmul_0_1_hwloop_[0-9]+_end]] - [[START]]) / 4) << 20)  # cv.setup 0, [[COUNT]], [[END]]
// CHECK-NEXT:  flw [[A:f[a-z0-9]+]], 0([[PA:[a-z0-9]+]])
// CHECK-NEXT:  flw [[X:f[a-z0-9]+]], 0([[PB:[a-z0-9]+]])
// CHECK-NEXT:  flw [[Y:f[a-z0-9]+]], 4([[PB]])
// CHECK-NEXT:  fmadd.s [[C0:f[a-z0-9]+]], [[A]], [[X]], [[C0]]
// CHECK-NEXT:  flw [[X]], 8([[PB]])
// CHECK-NEXT:  fmadd.s [[C1:f[a-z0-9]+]], [[A]], [[Y]], [[C1]]
// CHECK-NEXT:  flw [[Y]], 12([[PB]])
// CHECK-NEXT:  fmadd.s [[C2:f[a-z0-9]+]], [[A]], [[X]], [[C2]]
// CHECK-NEXT:  flw [[X]], 16([[PB]])
// CHECK-NEXT:  fmadd.s [[C3:f[a-z0-9]+]], [[A]], [[Y]], [[C3]]
// CHECK-NEXT:  flw [[Y]], 20([[PB]])
// CHECK-NEXT:  fmadd.s [[C4:f[a-z0-9]+]], [[A]], [[X]], [[C4]]
// CHECK-NEXT:  flw [[X]], 24([[PB]])
// CHECK-NEXT:  fmadd.s [[C5:f[a-z0-9]+]], [[A]], [[Y]], [[C5]]
// CHECK-NEXT:  flw [[Y]], 28([[PB]])
// CHECK-NEXT:  fmadd.s [[C6:f[a-z0-9]+]], [[A]], [[X]], [[C6]]
// CHECK-NEXT:  flw [[X]], 32([[PB]])
// CHECK-NEXT:  fmadd.s [[C7:f[a-z0-9]+]], [[A]], [[Y]], [[C7]]
// CHECK-NEXT:  flw [[Y]], 36([[PB]])
// CHECK-NEXT:  fmadd.s [[C8:f[a-z0-9]+]], [[A]], [[X]], [[C8]]
// CHECK-NEXT:  flw [[X]], 40([[PB]])
// CHECK-NEXT:  fmadd.s [[C9:f[a-z0-9]+]], [[A]], [[Y]], [[C9]]
// CHECK-NEXT:  flw [[Y]], 44([[PB]])
// CHECK-NEXT:  fmadd.s [[C10:f[a-z0-9]+]], [[A]], [[X]], [[C10]]
// CHECK-NEXT:  flw [[X]], 48([[PB]])
// CHECK-NEXT:  fmadd.s [[C11:f[a-z0-9]+]], [[A]], [[Y]], [[C11]]
// CHECK-NEXT:  flw [[Y]], 52([[PB]])
// CHECK-NEXT:  fmadd.s [[C12:f[a-z0-9]+]], [[A]], [[X]], [[C12]]
// CHECK-NEXT:  flw [[X]], 56([[PB]])
// CHECK-NEXT:  fmadd.s [[C13:f[a-z0-9]+]], [[A]], [[Y]], [[C13]]
// CHECK-NEXT:  flw [[Y]], 60([[PB]])
// CHECK-NEXT:  fmadd.s [[C14:f[a-z0-9]+]], [[A]], [[X]], [[C14]]
// CHECK-NEXT:  fmadd.s [[C15:f[a-z0-9]+]], [[A]], [[Y]], [[C15]]
// CHECK-NEXT:  addi [[PB]], [[PB]], 64
// CHECK-NEXT:  addi [[PA]], [[PA]], 4
// CHECK-NEXT:  {{^}}[[END]]:
// CHECK-NEXT:  addi [[ONCE:[a-z0-9]+]], [[ONCE]], 32
// CHECK-NEXT:  blt [[ONCE]], [[COUNT]], scf_body_{{[0-9]+}}_for
// CHECK-NOT:   {{^ *mul }}
// CHECK:       ret
func.func @main(%a: tensor<16x32xf32>, %b: tensor<32x16xf32>) -> tensor<16x16xf32> {
  %c = train.matmul %a, %b : (tensor<16x32xf32>, tensor<32x16xf32>) -> tensor<16x16xf32>
  func.return %c : tensor<16x16xf32>
}
