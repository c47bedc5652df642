// RUN: tdopt %s --split-input-file -p convert-train-to-linalg | filecheck %s
// RUN: tdopt %s --split-input-file -p convert-train-to-linalg | tdopt --split-input-file | filecheck %s

// A product of two matrices is the named linalg.matmul; a transposed operand
// is in its indexing_maps (printed as upstream MLIR does, and read back: the
// second RUN line parses the output again). Its zero fill stays a generic.
// CHECK-LABEL: func.func @k_gemm_0_1(
// CHECK-SAME: %[[X:.*]]: memref<3x8xf32>, %[[W:.*]]: memref<16x8xf32>, %[[Y:.*]]: memref<3x16xf32>)
// CHECK-NEXT: linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%[[X]], %[[W]] : memref<3x8xf32>, memref<16x8xf32>) outs(%[[Y]] : memref<3x16xf32>)
// CHECK-NEXT: func.return
func.func @linear(%x: tensor<3x8xf32>, %w: tensor<16x8xf32>) -> tensor<3x16xf32> {
  %y = train.gemm %x, %w {trans_b} : (tensor<3x8xf32>, tensor<16x8xf32>) -> tensor<3x16xf32>
  func.return %y : tensor<3x16xf32>
}

// -----

// Untransposed: xDSL's default maps, not printed.
// CHECK-LABEL: func.func @k_matmul_0_1(
// CHECK-NEXT: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<3x8xf32>, memref<8x16xf32>) outs(%{{.*}} : memref<3x16xf32>)
func.func @mm(%x: tensor<3x8xf32>, %w: tensor<8x16xf32>) -> tensor<3x16xf32> {
  %y = train.matmul %x, %w : (tensor<3x8xf32>, tensor<8x16xf32>) -> tensor<3x16xf32>
  func.return %y : tensor<3x16xf32>
}

// -----

// A batched product and a matrix-vector product (one row: its loop has one
// trip and is pinned) have no named op in xDSL: generics with the same body.
// CHECK-LABEL: func.func @k_matmul_0_1(
// CHECK-NEXT: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK:      %[[P:.*]] = arith.mulf
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[P]], %{{.*}} : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-LABEL: func.func @k_gemm_1_1(
// CHECK-NEXT: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-NOT:  linalg.matmul
func.func @batched(%x: tensor<2x3x8xf32>, %w: tensor<2x8x16xf32>, %v: tensor<1x8xf32>, %u: tensor<8x4xf32>) -> (tensor<2x3x16xf32>, tensor<1x4xf32>) {
  %y = train.matmul %x, %w : (tensor<2x3x8xf32>, tensor<2x8x16xf32>) -> tensor<2x3x16xf32>
  %z = train.gemm %v, %u : (tensor<1x8xf32>, tensor<8x4xf32>) -> tensor<1x4xf32>
  func.return %y, %z : tensor<2x3x16xf32>, tensor<1x4xf32>
}
