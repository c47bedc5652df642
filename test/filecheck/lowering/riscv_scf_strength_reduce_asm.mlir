// RUN: tdopt %s --emit=asm | filecheck %s

// The full pipeline on a 16x32 @ 32x16 matmul: the multiply-accumulate loop
// is two loads, fmadd.s, two pointer increments and the branch (the k loop
// iterates over the pointer into the row of %a), and no address is
// recomputed with `mul` inside the loops (the prologue may split the rows
// between the cores).
// CHECK-LABEL: k_matmul_0_1:
// CHECK:       {{^}}scf_body_{{[0-9]+}}_for:
// CHECK-NOT:   {{^ *mul }}
// CHECK:       flw {{ft[0-9]+}}, 0(
// CHECK:       [[LOOP:scf_body_[0-9]+_for]]:
// CHECK-NEXT:  flw [[A:ft[0-9]+]], 0([[PA:[a-z0-9]+]])
// CHECK-NEXT:  flw [[B:ft[0-9]+]], 0([[PB:[a-z0-9]+]])
// CHECK-NEXT:  fmadd.s [[ACC:ft[0-9]+]], [[A]], [[B]], [[ACC]]
// CHECK-NEXT:  addi [[PB]], [[PB]], 64
// CHECK-NEXT:  addi [[PA]], [[PA]], 4
// CHECK-NEXT:  blt [[PA]], {{[a-z0-9]+}}, [[LOOP]]
// CHECK-NOT:   {{^ *mul }}
// CHECK:       ret
func.func @main(%a: tensor<16x32xf32>, %b: tensor<32x16xf32>) -> tensor<16x16xf32> {
  %c = train.matmul %a, %b : (tensor<16x32xf32>, tensor<32x16xf32>) -> tensor<16x16xf32>
  func.return %c : tensor<16x16xf32>
}
