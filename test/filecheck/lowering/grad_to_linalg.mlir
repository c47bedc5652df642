// RUN: tdopt %s --split-input-file -p convert-train-to-linalg | filecheck %s

// grad.maxpool2d: pad with the lowest float, recompute the window max, then
// one pass over the windows (i, j innermost) routes dy to the first maximum
// only, tracked by a per-window flag; the pads are cut by a copy of the window
// (h + 1, w + 1).
// Batch and channel fold into one loop (views of n*c planes).
// CHECK-LABEL: func.func @pool_back()
// CHECK:      %[[XP:.*]] = memref.alloc() {cluster.scratch} : memref<1x1x5x5xf32>
// CHECK-NEXT: %[[MAX:.*]] = memref.alloc() {cluster.scratch} : memref<1x2x2xf32>
// CHECK-NEXT: %[[FLAG:.*]] = memref.alloc() {cluster.scratch} : memref<1x2x2xf32>
// CHECK-NEXT: %[[DXP:.*]] = memref.alloc() {cluster.scratch} : memref<1x1x5x5xf32>
// CHECK:      func.call @k_grad_maxpool2d_0_6(%[[XP]], %[[MAX]], %{{.*}}, %[[DXP]], %[[FLAG]])
// CHECK-NEXT: func.call @k_grad_maxpool2d_0_7(%[[DXP]], %{{.*}}) : (memref<1x1x5x5xf32>, memref<1x1x4x4xf32>) -> ()
// CHECK-NEXT: func.return

// CHECK-LABEL: func.func @k_grad_maxpool2d_0_0(
// CHECK:      arith.constant -3.40282347e+38 : f32

// The (batch x channel) loop has one trip here and is pinned to 0.
// CHECK-LABEL: func.func @k_grad_maxpool2d_0_3(
// CHECK:      iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK:      arith.maximumf

// CHECK-LABEL: func.func @k_grad_maxpool2d_0_6(
// CHECK-SAME: attributes {cluster.kernel = "grad_maxpool2d"}
// CHECK:      memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [3, 3], strides: [3, 1] : memref<1x2x2xf32> to memref<3x3xf32>
// CHECK-NEXT: memref.collapse_shape %{{.*}} {{\[}}[0 : i64], [1 : i64, 2 : i64], [3 : i64]] : memref<1x1x5x5xf32> into memref<1x5x5xf32>
// CHECK-NEXT: linalg.generic {indexing_maps = [
// CHECK-SAME: affine_map<(d0, d1, d2, d3) -> (0, ((d0 * 2) + d2), ((d1 * 2) + d3))>,
// CHECK-SAME: affine_map<(d0, d1, d2, d3) -> (d2, d3)>,
// CHECK-SAME: affine_map<(d0, d1, d2, d3) -> (0, ((d0 * 2) + d2), ((d1 * 2) + d3))>,
// CHECK-SAME: iterator_types = ["reduction", "reduction", "reduction", "reduction"]
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[M:.*]]: f32, %[[DY:.*]]: f32, %{{.*}}: f32, %[[ACC:.*]]: f32, %[[F:.*]]: f32):
// CHECK-NEXT:   %[[EQ:.*]] = arith.cmpf oeq, %[[X]], %[[M]] : f32
// CHECK-NEXT:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:   %[[FREE:.*]] = arith.subf %[[ONE]], %[[F]] : f32
// CHECK-NEXT:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:   %[[HIT:.*]] = arith.select %[[EQ]], %[[FREE]], %[[ZERO]] : f32
// CHECK-NEXT:   %[[ROUTED:.*]] = arith.mulf %[[HIT]], %[[DY]] : f32
// CHECK-NEXT:   %[[SUM:.*]] = arith.addf %[[ACC]], %[[ROUTED]] : f32
// CHECK-NEXT:   %[[NF:.*]] = arith.addf %[[F]], %[[HIT]] : f32
// CHECK-NEXT:   linalg.yield %[[SUM]], %[[NF]] : f32, f32

// CHECK-LABEL: func.func @k_grad_maxpool2d_0_7(
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, 0, (d0 + 1), (d1 + 1))>, affine_map<(d0, d1) -> (0, 0, d0, d1)>]
func.func @pool_back(%x: tensor<1x1x4x4xf32>, %dy: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %dx = grad.maxpool2d %x, %dy {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>} : (tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  func.return %dx : tensor<1x1x4x4xf32>
}

// -----

// grad.conv2d_input (group 2, stride 2, bottom/right pads): dy * w scattered
// into a zero-filled padded buffer over views that split the channels into
// (group, channel in group); only n, g and c are parallel.
// CHECK-LABEL: func.func @conv_back()
// CHECK:      %[[DXP:.*]] = memref.alloc() {cluster.scratch} : memref<1x2x6x6xf32>
// CHECK-NEXT: func.call @k_grad_conv2d_input_0_0(%[[DXP]])
// CHECK-NEXT: func.call @k_grad_conv2d_input_0_1(%{{.*}}, %{{.*}}, %[[DXP]])
// CHECK-NEXT: func.call @k_grad_conv2d_input_0_2(%[[DXP]], %{{.*}}) : (memref<1x2x6x6xf32>, memref<1x2x5x5xf32>) -> ()

// CHECK-LABEL: func.func @k_grad_conv2d_input_0_1(
// CHECK-NEXT: memref.expand_shape %{{.*}} {{\[}}[0 : i64], [1 : i64, 2 : i64], [3 : i64], [4 : i64]] output_shape [1, 2, 2, 2, 2] : memref<1x4x2x2xf32> into memref<1x2x2x2x2xf32>
// CHECK-NEXT: memref.expand_shape %{{.*}} {{\[}}[0 : i64, 1 : i64], [2 : i64], [3 : i64], [4 : i64]] output_shape [2, 2, 1, 3, 3] : memref<4x1x3x3xf32> into memref<2x2x1x3x3xf32>
// CHECK-NEXT: linalg.generic {indexing_maps = [
// (the batch loop and the one-channel-per-group loop have one trip: pinned to 0)
// CHECK-SAME: affine_map<(d0, d1, d2, d3, d4, d5) -> (0, d0, d1, d2, d3)>,
// CHECK-SAME: affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, 0, d4, d5)>,
// CHECK-SAME: affine_map<(d0, d1, d2, d3, d4, d5) -> (0, d0, ((d2 * 2) + d4), ((d3 * 2) + d5))>],
// CHECK-SAME: iterator_types = ["parallel", "reduction", "reduction", "reduction", "reduction", "reduction"]
// CHECK-SAME: outs(%{{.*}} : memref<1x2x6x6xf32>)
// CHECK:        %[[P:.*]] = arith.mulf
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[P]], %{{.*}} : f32
// CHECK-NEXT:   linalg.yield %[[S]] : f32
func.func @conv_back(%dy: tensor<1x4x2x2xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x2x5x5xf32> {
  %dx = grad.conv2d_input %dy, %w {input_shape = array<i64: 1, 2, 5, 5>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 1, 1>, group = 2 : i64} : (tensor<1x4x2x2xf32>, tensor<4x1x3x3xf32>) -> tensor<1x2x5x5xf32>
  func.return %dx : tensor<1x2x5x5xf32>
}

// -----

// grad.layernorm: three results, each written into its own output global;
// the kernel takes the outputs first. dscale and dbias share one pass over
// the leading dimension.
// CHECK-LABEL: func.func @ln_back()
// CHECK:      %[[DX:.*]] = memref.get_global @result0 : memref<2x3xf32>
// CHECK-NEXT: %[[DS:.*]] = memref.get_global @result1 : memref<3xf32>
// CHECK-NEXT: %[[DB:.*]] = memref.get_global @result2 : memref<3xf32>
// CHECK:      func.call @k_grad_layernorm_0_{{[0-9]+}}(%{{.*}}, %[[DX]], %[[DS]], %[[DB]]) : (memref<2x3xf32>, memref<2x3xf32>, memref<3xf32>, memref<3xf32>) -> ()
// CHECK-LABEL: func.func @k_grad_layernorm_0_10(
// CHECK-SAME: attributes {cluster.kernel = "grad_layernorm"}
// CHECK-NEXT: linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : memref<3xf32>, memref<3xf32>)
func.func @ln_back(%x: tensor<2x3xf32>, %s: tensor<3xf32>, %dy: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %g:3 = grad.layernorm %x, %s, %dy {axis = 1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>)
  func.return %g#0, %g#1, %g#2 : tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>
}
