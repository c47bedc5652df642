// RUN: tdopt %s -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,kernel-fuse-fill,kernel-squeeze-unit-dims' | filecheck %s

// With the zero fill fused into the matmul (kernel-fuse-fill), the fill
// writes the same 4x4 view of C as the generic, so that
// memref-stream-fold-fill later sees one buffer: the view is made before
// the fill.
// CHECK-LABEL: func.func @k_matmul_0_1_from_fill
// CHECK-SAME:  (%0: memref<1x4x8xf32>, %1: memref<8x4xf32>, %2: memref<1x4x4xf32>)
// CHECK-NEXT:  %3 = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:  %4 = memref.collapse_shape %2 {{\[}}[0 : i64, 1 : i64], [2 : i64]] : memref<1x4x4xf32> into memref<4x4xf32>
// CHECK-NEXT:  linalg.fill ins(%3 : f32) outs(%4 : memref<4x4xf32>)
// CHECK-NEXT:  %5 = memref.collapse_shape %0 {{\[}}[0 : i64, 1 : i64], [2 : i64]] : memref<1x4x8xf32> into memref<4x8xf32>
// CHECK-NEXT:  linalg.generic {{.*}} ins(%5, %1 : memref<4x8xf32>, memref<8x4xf32>) outs(%4 : memref<4x4xf32>)
func.func @main(%a: tensor<1x4x8xf32>, %b: tensor<8x4xf32>) -> tensor<1x4x4xf32> {
  %c = train.matmul %a, %b : (tensor<1x4x8xf32>, tensor<8x4xf32>) -> tensor<1x4x4xf32>
  func.return %c : tensor<1x4x4xf32>
}
