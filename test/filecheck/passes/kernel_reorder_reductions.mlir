// RUN: tdopt %s --split-input-file -p 'convert-train-to-linalg,linalg-generalize-named-ops,plan-memory,cluster-mark-parallel,kernel-reorder-reductions' | filecheck %s

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

// -----

// Column sums of a row-major 6x16 matrix: the reduction over the rows
// stood before the columns (loops d0 = row, d1 = column); it moves inside,
// so each core keeps its columns' sums in registers, and the loop the cores
// split (the columns, loop 1 of 16 trips) is renumbered 0.
// CHECK-LABEL: func.func @k_reduce_sum_0_1(
// CHECK-SAME:  cluster.parallel = array<i64: 0, 16>
// CHECK-NEXT:  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
func.func @main(%x: tensor<6x16xf32>) -> tensor<16xf32> {
  %y = train.reduce_sum %x {axes = array<i64: 0>} : (tensor<6x16xf32>) -> tensor<16xf32>
  func.return %y : tensor<16xf32>
}

// -----

// A max over the rows keeps its order (it keeps the first of equal values).
// CHECK-LABEL: func.func @k_reduce_max_0_1(
// CHECK-SAME:  cluster.parallel = array<i64: 1, 16>
// CHECK-NEXT:  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]}
func.func @main(%x: tensor<6x16xf32>) -> tensor<16xf32> {
  %y = train.reduce_max %x {axes = array<i64: 0>} : (tensor<6x16xf32>) -> tensor<16xf32>
  func.return %y : tensor<16xf32>
}
