// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,kernel-dedup' | filecheck %s

// Two matmuls with 4x4 results but different inner sizes: each lowers to a
// zero fill of its result and a contraction. The fills are the same loop nest
// on the same buffer shape, so the second call uses the first fill; the
// contractions differ (8 vs 2 inner iterations) and both stay.
// CHECK-LABEL: func.func @main()
// CHECK:      func.call @k_matmul_0_0(%{{.*}}) : (memref<4x4xf32>) -> ()
// CHECK-NEXT: func.call @k_matmul_0_1(
// CHECK:      func.call @k_matmul_0_0(%{{.*}}) : (memref<4x4xf32>) -> ()
// CHECK-NEXT: func.call @k_matmul_1_1(
// CHECK-NOT:  func.func @k_matmul_1_0(
// CHECK:      func.func @k_matmul_0_0(
// CHECK-NOT:  func.func @k_matmul_1_0(
// CHECK:      func.func @k_matmul_0_1(
// CHECK-NOT:  func.func @k_matmul_1_0(
// CHECK:      func.func @k_matmul_1_1(
func.func @main(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>, %c: tensor<4x2xf32>, %d: tensor<2x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %x = train.matmul %a, %b : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %y = train.matmul %c, %d : (tensor<4x2xf32>, tensor<2x4xf32>) -> tensor<4x4xf32>
  func.return %x, %y : tensor<4x4xf32>, tensor<4x4xf32>
}
