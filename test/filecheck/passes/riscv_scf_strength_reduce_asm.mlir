// RUN: tdopt %s --emit=asm | filecheck %s

// The full pipeline on a 16x32 @ 32x16 matmul: the multiply-accumulate loop
// is register-blocked 2x8 (interleave-contractions{pipeline_depth=16}: the
// 16 rows are split over up to 8 cores, so rows are blocked by 2 at most;
// two values of %a and eight of %b feed sixteen fmadd.s into sixteen
// accumulators), every address is a pointer advanced by a constant
// (riscv-scf-strength-reduce), and no address is recomputed with `mul`
// inside the loops (the prologue may split the rows between the cores).
// The eight columns of %b are one pointer with the column offsets 0..28
// as load immediates, the two rows of %a one pointer with offsets 0 and
// 128 (two `addi` per iteration); each load sits ahead of its first
// fmadd.s (riscv-allocate-registers-full's load scheduling). The k loop is
// a CORE-V hardware loop: `cv.setup` (a `.word`) with the trip count 8 in
// a register (32 steps unrolled by 4), the body up to the end label, no compare-and-branch per
// iteration; the `blt` after the label closes the once-only loop around it.
// The zero fill of the result is fused into the kernel (kernel-fuse-fill):
// the sixteen accumulators start from zero, nothing of the result is loaded.
// CHECK-LABEL: k_matmul_0_1_from_fill:
// CHECK:       fmv.w.x [[ZERO:f[a-z0-9]+]], zero
// CHECK:       {{^}}{{.*}}_scf_body_{{[0-9]+}}_for:
// CHECK-NOT:   {{^ *mul }}
// CHECK-COUNT-16: fmv.s {{f[a-z0-9]+}}, [[ZERO]]
// CHECK:       li [[COUNT:[a-z0-9]+]], 8
// CHECK:       {{^}}[[START:k_matmul_0_1_from_fill_hwloop_[0-9]+_start]]:
// CHECK-NEXT:  .word 0x2b | (4 << 12) | (14 << 7) | ({{[0-9]+}} << 15) | ((([[END:k_matmul_0_1_from_fill_hwloop_[0-9]+_end]] - [[START]]) / 4) << 20)  # cv.setup 0, [[COUNT]], [[END]]
// CHECK-NEXT:  flw [[A0:f[a-z0-9]+]], 0([[PA:[a-z0-9]+]])
// CHECK-NEXT:  flw [[B0:f[a-z0-9]+]], 0([[PB:[a-z0-9]+]])
// CHECK-NEXT:  flw [[B1:f[a-z0-9]+]], 4([[PB]])
// CHECK-NEXT:  fmadd.s [[C0:f[a-z0-9]+]], [[A0]], [[B0]], [[C0]]
// CHECK-NEXT:  flw [[B2:f[a-z0-9]+]], 8([[PB]])
// CHECK-NEXT:  fmadd.s [[C1:f[a-z0-9]+]], [[A0]], [[B1]], [[C1]]
// CHECK-NEXT:  flw [[B3:f[a-z0-9]+]], 12([[PB]])
// CHECK-NEXT:  fmadd.s [[C2:f[a-z0-9]+]], [[A0]], [[B2]], [[C2]]
// CHECK-NEXT:  flw [[B4:f[a-z0-9]+]], 16([[PB]])
// CHECK-NEXT:  fmadd.s [[C3:f[a-z0-9]+]], [[A0]], [[B3]], [[C3]]
// CHECK-NEXT:  flw [[B5:f[a-z0-9]+]], 20([[PB]])
// CHECK-NEXT:  fmadd.s [[C4:f[a-z0-9]+]], [[A0]], [[B4]], [[C4]]
// CHECK-NEXT:  flw [[B6:f[a-z0-9]+]], 24([[PB]])
// CHECK-NEXT:  fmadd.s [[C5:f[a-z0-9]+]], [[A0]], [[B5]], [[C5]]
// CHECK-NEXT:  flw [[B7:f[a-z0-9]+]], 28([[PB]])
// CHECK-NEXT:  fmadd.s [[C6:f[a-z0-9]+]], [[A0]], [[B6]], [[C6]]
// CHECK-NEXT:  flw [[A1:f[a-z0-9]+]], 128([[PA]])
// CHECK-NEXT:  fmadd.s [[C7:f[a-z0-9]+]], [[A0]], [[B7]], [[C7]]
// CHECK-NEXT:  fmadd.s [[D0:f[a-z0-9]+]], [[A1]], [[B0]], [[D0]]
// CHECK-NEXT:  fmadd.s [[D1:f[a-z0-9]+]], [[A1]], [[B1]], [[D1]]
// CHECK-NEXT:  fmadd.s [[D2:f[a-z0-9]+]], [[A1]], [[B2]], [[D2]]
// CHECK-NEXT:  fmadd.s [[D3:f[a-z0-9]+]], [[A1]], [[B3]], [[D3]]
// CHECK-NEXT:  fmadd.s [[D4:f[a-z0-9]+]], [[A1]], [[B4]], [[D4]]
// CHECK-NEXT:  fmadd.s [[D5:f[a-z0-9]+]], [[A1]], [[B5]], [[D5]]
// CHECK-NEXT:  fmadd.s [[D6:f[a-z0-9]+]], [[A1]], [[B6]], [[D6]]
// CHECK-NEXT:  fmadd.s [[D7:f[a-z0-9]+]], [[A1]], [[B7]], [[D7]]
// the k loop is unrolled by 4 (kernel-unroll-innermost): three more copies
// at k + 1, k + 2, k + 3 load at constant offsets from the same two
// pointers and accumulate into the same registers; the pointers advance
// once per four steps
// CHECK-NOT:   addi
// CHECK:       flw {{f[a-z0-9]+}}, 4([[PA]])
// CHECK-NOT:   addi
// CHECK:       flw {{f[a-z0-9]+}}, 64([[PB]])
// CHECK-NOT:   addi
// CHECK:       flw {{f[a-z0-9]+}}, 12([[PA]])
// CHECK-NOT:   addi
// CHECK:       flw {{f[a-z0-9]+}}, 220([[PB]])
// CHECK-NOT:   addi
// CHECK:       fmadd.s [[D7]], {{f[a-z0-9]+}}, {{f[a-z0-9]+}}, [[D7]]
// CHECK-NEXT:  addi [[PB]], [[PB]], 256
// CHECK-NEXT:  addi [[PA]], [[PA]], 16
// CHECK-NEXT:  {{^}}[[END]]:
// CHECK-NEXT:  addi [[ONCE:[a-z0-9]+]], [[ONCE]], 8
// CHECK-NEXT:  blt [[ONCE]], [[COUNT]], {{.*}}_scf_body_{{[0-9]+}}_for
// CHECK-NOT:   {{^ *mul }}
// CHECK:       ret
func.func @main(%a: tensor<16x32xf32>, %b: tensor<32x16xf32>) -> tensor<16x16xf32> {
  %c = train.matmul %a, %b : (tensor<16x32xf32>, tensor<32x16xf32>) -> tensor<16x16xf32>
  func.return %c : tensor<16x16xf32>
}
