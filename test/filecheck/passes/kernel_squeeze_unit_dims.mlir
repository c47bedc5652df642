// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,kernel-squeeze-unit-dims' | filecheck %s

// The batch of one (read at index 0) leaves the maps: A and C are seen as
// 4x8 and 4x4 views of the same bytes, so the output map is plain.
// CHECK-LABEL: func.func @k_matmul_0_1
// CHECK-NEXT: %3 = memref.collapse_shape %0 {{\[}}[0 : i64, 1 : i64], [2 : i64]] : memref<1x4x8xf32> into memref<4x8xf32>
// CHECK-NEXT: %4 = memref.collapse_shape %2 {{\[}}[0 : i64, 1 : i64], [2 : i64]] : memref<1x4x4xf32> into memref<4x4xf32>
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%3, %1 : memref<4x8xf32>, memref<8x4xf32>) outs(%4 : memref<4x4xf32>)
func.func @main(%a: tensor<1x4x8xf32>, %b: tensor<8x4xf32>) -> tensor<1x4x4xf32> {
  %c = train.matmul %a, %b : (tensor<1x4x8xf32>, tensor<8x4xf32>) -> tensor<1x4x4xf32>
  func.return %c : tensor<1x4x4xf32>
}
