// RUN: tdopt %s --emit=asm | filecheck %s

// The full pipeline on a 16x32 @ 32x16 matmul: the multiply-accumulate loop
// is register-blocked by 4 (interleave-contractions: one load of %a feeds
// four fmadd.s into four accumulators), every address is a pointer advanced
// by a constant (riscv-scf-strength-reduce), and no address is recomputed with
// `mul` inside the loops (the prologue may split the rows between the cores).
// CHECK-LABEL: k_matmul_0_1:
// CHECK:       {{^}}scf_body_{{[0-9]+}}_for:
// CHECK-NOT:   {{^ *mul }}
// the four accumulators are loaded once per output block, at offsets 0..12
// CHECK:       flw {{ft[0-9]+}}, 12(
// CHECK:       [[LOOP:scf_body_[0-9]+_for]]:
// CHECK-NEXT:  flw [[A:ft[0-9]+]], 0([[PA:[a-z0-9]+]])
// CHECK-NEXT:  flw [[B0:ft[0-9]+]], 0(
// CHECK-NEXT:  flw [[B1:ft[0-9]+]], 0(
// CHECK-NEXT:  flw [[B2:ft[0-9]+]], 0(
// CHECK-NEXT:  flw [[B3:ft[0-9]+]], 0(
// CHECK-NEXT:  fmadd.s [[C0:ft[0-9]+]], [[A]], [[B0]], [[C0]]
// CHECK-NEXT:  fmadd.s [[C1:ft[0-9]+]], [[A]], [[B1]], [[C1]]
// CHECK-NEXT:  fmadd.s [[C2:ft[0-9]+]], [[A]], [[B2]], [[C2]]
// CHECK-NEXT:  fmadd.s [[C3:ft[0-9]+]], [[A]], [[B3]], [[C3]]
// CHECK:       addi [[PA]], [[PA]], 4
// CHECK-NEXT:  blt [[PA]], {{[a-z0-9]+}}, [[LOOP]]
// CHECK-NOT:   {{^ *mul }}
// CHECK:       ret
func.func @main(%a: tensor<16x32xf32>, %b: tensor<32x16xf32>) -> tensor<16x16xf32> {
  %c = train.matmul %a, %b : (tensor<16x32xf32>, tensor<32x16xf32>) -> tensor<16x16xf32>
  func.return %c : tensor<16x16xf32>
}
