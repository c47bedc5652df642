// RUN: tdopt %s -p 'convert-train-to-linalg,plan-memory,kernel-reorder-reductions' | filecheck %s

// A grouped convolution (2 groups of 8 input channels, window 3 x 3; a
// convolution of one group goes through im2col and a matmul instead) runs
// with the 8 input channels innermost: the channel loop moves after kh and
// kw, the maps follow. Parallel loops (g, co, oh, ow) keep their places.
// CHECK-LABEL: func.func @k_conv2d_0_1
// CHECK: linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (0, ((d0 * 8) + d6), (d2 + d4), (d3 + d5))>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d6, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (0, d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
func.func @main(%x: tensor<1x16x6x6xf32>, %w: tensor<4x8x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %y = train.conv2d %x, %w {group = 2 : i64} : (tensor<1x16x6x6xf32>, tensor<4x8x3x3xf32>) -> tensor<1x4x4x4xf32>
  func.return %y : tensor<1x4x4x4xf32>
}
