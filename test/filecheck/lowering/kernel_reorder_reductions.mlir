// RUN: tdopt %s -p 'convert-train-to-linalg,plan-memory,kernel-reorder-reductions' | filecheck %s

// The convolution's reductions (input channels 16, window 3 x 3) run with
// the 16 input channels innermost: loop 3 (ci) moves after kh and kw, the
// maps follow. Parallel loops (co, oh, ow) keep their places.
// CHECK-LABEL: func.func @k_conv2d_0_1
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (0, d5, (d1 + d3), (d2 + d4))>, affine_map<(d0, d1, d2, d3, d4, d5) -> (0, d0, d5, d3, d4)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (0, 0, d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
func.func @main(%x: tensor<1x16x6x6xf32>, %w: tensor<4x16x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %y = train.conv2d %x, %w : (tensor<1x16x6x6xf32>, tensor<4x16x3x3xf32>) -> tensor<1x4x4x4xf32>
  func.return %y : tensor<1x4x4x4xf32>
}
