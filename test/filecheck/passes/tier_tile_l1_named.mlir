// RUN: tdopt %s -p 'convert-train-to-linalg,plan-memory{l1_budget=0},tier-tile-l1{budget=40960}' | filecheck %s
// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1{budget=40960}' | filecheck %s --check-prefix=GENERIC

// tier-tile-l1 tiles generics. A named linalg.matmul (a pipeline that left
// out linalg-generalize-named-ops) runs untiled, in place in L2, and the
// kernel says why; generalized, the same product runs tile by tile.
// CHECK-LABEL: func.func @main()
// CHECK:       func.call @k_matmul_0_1(
// CHECK-LABEL: func.func @k_matmul_0_1(
// CHECK-SAME:  cluster.untiled = "a named linalg.matmul (tiling reads linalg.generic: run linalg-generalize-named-ops first)"
// CHECK-NEXT:  linalg.matmul
// GENERIC-LABEL: func.func @main()
// GENERIC:       tier.tiled_call @k_matmul_0_1_t32x32x64(
func.func @main(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c = train.matmul %a, %b : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  func.return %c : tensor<64x64xf32>
}
