// RUN: tdopt %s --split-input-file -p convert-train-to-linalg | filecheck %s

// A convolution of one group: the padded input's windows are copied into
// the columns of a (c*kh*kw, oh*ow) scratch per batch (im2col: row
// (c, i, j), column (oh, ow) holds xpad[c, oh + i, ow + j]), then the
// weights seen as (m, c*kh*kw) multiply it into the output seen as
// (n, m, oh*ow), accumulating onto the zero-filled output.
// CHECK-LABEL: func.func @conv()
// CHECK:       %[[XP:.*]] = memref.alloc() {cluster.scratch} : memref<1x2x6x6xf32>
// CHECK-NEXT:  %[[COL:.*]] = memref.alloc() {cluster.scratch} : memref<1x18x16xf32>
// CHECK:       func.call @k_conv2d_0_3(%[[XP]], %[[COL]])
// CHECK-NEXT:  func.call @k_conv2d_0_4(%{{.*}}, %[[COL]], %{{.*}})
// CHECK-LABEL: func.func @k_conv2d_0_3
// CHECK:       memref.expand_shape {{.*}} output_shape [1, 2, 3, 3, 4, 4] : memref<1x18x16xf32> into memref<1x2x3x3x4x4xf32>
// CHECK-NEXT:  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4) -> (0, d0, (d3 + d1), (d4 + d2))>, affine_map<(d0, d1, d2, d3, d4) -> (0, d0, d1, d2, d3, d4)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
// (one image: the product of two matrices, the named linalg.matmul over
// views of the weights, the columns and the output)
// CHECK-LABEL: func.func @k_conv2d_0_4
// CHECK:       memref.collapse_shape {{.*}} : memref<3x2x3x3xf32> into memref<3x18xf32>
// CHECK-NEXT:  memref.collapse_shape {{.*}} : memref<1x18x16xf32> into memref<18x16xf32>
// CHECK-NEXT:  memref.collapse_shape {{.*}} : memref<1x3x4x4xf32> into memref<3x16xf32>
// CHECK-NEXT:  linalg.matmul ins(%{{.*}}, %{{.*}} : memref<3x18xf32>, memref<18x16xf32>) outs(%{{.*}} : memref<3x16xf32>)
func.func @conv(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32> {
  %y = train.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32>
  func.return %y : tensor<1x3x4x4xf32>
}

// -----

// Its gradients (batch 2). The weight gradient: the same columns, then
// dw (m, c*kh*kw) = sum over batch and positions of dy (n, m, oh*ow) times
// the columns. The input gradient: a zeroed (n, c*kh*kw, oh*ow) scratch
// gets w^T dy (loops n, column row, position, m), then every column entry
// is added back into its window of the padded gradient (col2im: only the
// batch and channel loops address distinct elements, the rest collide),
// whose interior is the result.
// CHECK-LABEL: func.func @conv_grads()
// CHECK:       func.call @k_grad_conv2d_weight_0_4(%{{.*}}, %{{.*}}, %{{.*}}) : (memref<2x3x4x4xf32>, memref<2x18x16xf32>, memref<3x2x3x3xf32>) -> ()
// CHECK:       %[[DXP:.*]] = memref.alloc() {cluster.scratch} : memref<2x2x6x6xf32>
// CHECK-NEXT:  %[[DCOL:.*]] = memref.alloc() {cluster.scratch} : memref<2x18x16xf32>
// CHECK-NEXT:  func.call @k_grad_conv2d_input_1_0(%[[DXP]])
// CHECK-NEXT:  func.call @k_grad_conv2d_input_1_1(%[[DCOL]])
// CHECK-NEXT:  func.call @k_grad_conv2d_input_1_2(%{{.*}}, %{{.*}}, %[[DCOL]])
// CHECK-NEXT:  func.call @k_grad_conv2d_input_1_3(%[[DCOL]], %[[DXP]])
// CHECK-NEXT:  func.call @k_grad_conv2d_input_1_4(%[[DXP]], %{{.*}})
// CHECK-LABEL: func.func @k_grad_conv2d_weight_0_4
// CHECK:       linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d2, d0, d3)>, affine_map<(d0, d1, d2, d3) -> (d2, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
// CHECK-LABEL: func.func @k_grad_conv2d_input_1_1
// CHECK:       arith.constant 0.000000e+00 : f32
// CHECK-LABEL: func.func @k_grad_conv2d_input_1_2
// CHECK:       linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d3, d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-LABEL: func.func @k_grad_conv2d_input_1_3
// CHECK:       linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, (d4 + d2), (d5 + d3))>], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "reduction"]}
func.func @conv_grads(%x: tensor<2x2x4x4xf32>, %w: tensor<3x2x3x3xf32>, %dy: tensor<2x3x4x4xf32>) -> (tensor<3x2x3x3xf32>, tensor<2x2x4x4xf32>) {
  %dw = grad.conv2d_weight %x, %dy {kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>} : (tensor<2x2x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<3x2x3x3xf32>
  %dx = grad.conv2d_input %dy, %w {input_shape = array<i64: 2, 2, 4, 4>, pads = array<i64: 1, 1, 1, 1>} : (tensor<2x3x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<2x2x4x4xf32>
  func.return %dw, %dx : tensor<3x2x3x3xf32>, tensor<2x2x4x4xf32>
}
