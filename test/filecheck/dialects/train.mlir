// Every op of the train dialect parses, verifies and prints back unchanged
// (printing the printed form again gives the same text).
// RUN: tdopt %s | filecheck %s
// RUN: tdopt %s | tdopt | filecheck %s
// Stock xdsl-opt sees the dialect through the xdsl.universe entry point:
// RUN: xdsl-opt %s | filecheck %s

// CHECK-LABEL: func.func @params
func.func @params() -> (tensor<2x2xf32>, tensor<3xf32>, tensor<2xi64>) {
  // CHECK: %w = train.param @w trainable : tensor<2x2xf32>
  %w = train.param @w trainable : tensor<2x2xf32>
  // CHECK: %b = train.param @"block.0/bias" = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
  %b = train.param @"block.0/bias" = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  // CHECK: %c = train.constant dense<[1, 2]> : tensor<2xi64>
  %c = train.constant dense<[1, 2]> : tensor<2xi64>
  func.return %w, %b, %c : tensor<2x2xf32>, tensor<3xf32>, tensor<2xi64>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
  // CHECK: train.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %0 = train.add %a, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  // CHECK: train.sub %{{.*}}, %a : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %1 = train.sub %0, %a : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.mul %{{.*}}, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %2 = train.mul %1, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  // CHECK: train.div %{{.*}}, %a : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %3 = train.div %2, %a : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.relu %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %4 = train.relu %3 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.gelu %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %5 = train.gelu %4 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.gelu %{{.*}} {approximate = "tanh"} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %6 = train.gelu %5 {approximate = "tanh"} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.sqrt %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %7 = train.sqrt %6 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.pow %{{.*}} {exponent = 2.000000e+00 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %8 = train.pow %7 {exponent = 2.0 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.softmax %{{.*}} {axis = -1 : i64} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %9 = train.softmax %8 {axis = -1 : i64} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  func.return %9 : tensor<4x3xf32>
}

// CHECK-LABEL: func.func @layernorm
func.func @layernorm(%x: tensor<2x5x8xf32>, %s: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x5x8xf32> {
  // CHECK: train.layernorm %x, %s, %b {axis = -1 : i64, epsilon = 1.000000e-05 : f32} : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %0 = train.layernorm %x, %s, %b {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  // CHECK: train.layernorm %{{.*}}, %s {axis = 2 : i64, epsilon = 1.000000e-05 : f32} : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %1 = train.layernorm %0, %s {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  func.return %1 : tensor<2x5x8xf32>
}

// CHECK-LABEL: func.func @linear
func.func @linear(%a: tensor<2x4x8xf32>, %w: tensor<8x16xf32>, %x: tensor<3x8xf32>, %g: tensor<16x8xf32>, %c: tensor<16xf32>) -> (tensor<2x4x16xf32>, tensor<3x16xf32>) {
  // CHECK: train.matmul %a, %w : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  %0 = train.matmul %a, %w : (tensor<2x4x8xf32>, tensor<8x16xf32>) -> tensor<2x4x16xf32>
  // CHECK: train.gemm %x, %g, %c {trans_b, alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32} : (tensor<3x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<3x16xf32>
  %1 = train.gemm %x, %g, %c {trans_b, alpha = 1.0 : f32, beta = 1.0 : f32} : (tensor<3x8xf32>, tensor<16x8xf32>, tensor<16xf32>) -> tensor<3x16xf32>
  func.return %0, %1 : tensor<2x4x16xf32>, tensor<3x16xf32>
}

// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<1x3x16x16xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>, %dw: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  // CHECK: train.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x16x16xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  %0 = train.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x3x16x16xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: train.conv2d %{{.*}}, %dw {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x16x16xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x7x7xf32>
  %1 = train.conv2d %0, %dw {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x16x16xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x7x7xf32>
  // CHECK: train.maxpool2d %{{.*}} {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x4x4xf32>
  %2 = train.maxpool2d %1 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x8x7x7xf32>) -> tensor<1x8x4x4xf32>
  func.return %2 : tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>) -> (tensor<2x12xf32>, tensor<2x8x4xf32>, tensor<4xf32>, tensor<1x3x1xf32>) {
  // CHECK: train.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %0 = train.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  // CHECK: train.reshape %{{.*}} : (tensor<2x4x3xf32>) -> tensor<2x12xf32>
  %1 = train.reshape %0 : (tensor<2x4x3xf32>) -> tensor<2x12xf32>
  // CHECK: train.unsqueeze %{{.*}} {axes = array<i64: 0, 3>} : (tensor<2x12xf32>) -> tensor<1x2x12x1xf32>
  %2 = train.unsqueeze %1 {axes = array<i64: 0, 3>} : (tensor<2x12xf32>) -> tensor<1x2x12x1xf32>
  // CHECK: train.squeeze %{{.*}} {axes = array<i64: 0, -1>} : (tensor<1x2x12x1xf32>) -> tensor<2x12xf32>
  %3 = train.squeeze %2 {axes = array<i64: 0, -1>} : (tensor<1x2x12x1xf32>) -> tensor<2x12xf32>
  // CHECK: train.concat %x, %y {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  %4 = train.concat %x, %y {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: train.reduce_sum %x {axes = array<i64: 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4xf32>
  %5 = train.reduce_sum %x {axes = array<i64: 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4xf32>
  // CHECK: train.reduce_mean %x {axes = array<i64: 0, 2>, keepdims} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  %6 = train.reduce_mean %x {axes = array<i64: 0, 2>, keepdims} : (tensor<2x3x4xf32>) -> tensor<1x3x1xf32>
  func.return %3, %4, %5, %6 : tensor<2x12xf32>, tensor<2x8x4xf32>, tensor<4xf32>, tensor<1x3x1xf32>
}

// CHECK-LABEL: func.func @losses
func.func @losses(%logits: tensor<4x10xf32>, %labels: tensor<4xi32>, %p: tensor<4x8xf32>, %t: tensor<4x8xf32>) -> (tensor<f32>, tensor<f32>) {
  // CHECK: train.cross_entropy %logits, %labels : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
  %0 = train.cross_entropy %logits, %labels : (tensor<4x10xf32>, tensor<4xi32>) -> tensor<f32>
  // CHECK: train.mse %p, %t : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<f32>
  %1 = train.mse %p, %t : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<f32>
  func.return %0, %1 : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @activations
func.func @activations(%x: tensor<4x3xf32>, %b: tensor<3xf32>) -> (tensor<4x3xf32>, tensor<4xf32>, tensor<1x3xf32>) {
  // CHECK: train.sigmoid %x : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %0 = train.sigmoid %x : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.tanh %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %1 = train.tanh %0 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.hardsigmoid %{{.*}} {alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %2 = train.hardsigmoid %1 {alpha = 0.16666667 : f32, beta = 0.5 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.hardsigmoid %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %3 = train.hardsigmoid %2 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.hardswish %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %4 = train.hardswish %3 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %5 = train.leaky_relu %4 {alpha = 0.1 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.clip %{{.*}} {min = 0.000000e+00 : f32, max = 6.000000e+00 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %6 = train.clip %5 {min = 0.0 : f32, max = 6.0 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.clip %{{.*}} {max = 1.000000e+00 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %7 = train.clip %6 {max = 1.0 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.exp %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %8 = train.exp %7 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.log %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %9 = train.log %8 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.neg %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %10 = train.neg %9 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.erf %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %11 = train.erf %10 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.ceil %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %12 = train.ceil %11 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.floor %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %13 = train.floor %12 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.swish %{{.*}} {alpha = 1.100000e+00 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %14 = train.swish %13 {alpha = 1.1 : f32} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.softplus %{{.*}} : (tensor<4x3xf32>) -> tensor<4x3xf32>
  %15 = train.softplus %14 : (tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.max %{{.*}}, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %16 = train.max %15, %b : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  // CHECK: train.min %{{.*}}, %x : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  %17 = train.min %16, %x : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  // CHECK: train.reduce_max %{{.*}} {axes = array<i64: 1>} : (tensor<4x3xf32>) -> tensor<4xf32>
  %18 = train.reduce_max %17 {axes = array<i64: 1>} : (tensor<4x3xf32>) -> tensor<4xf32>
  // CHECK: train.reduce_max %{{.*}} {axes = array<i64: 0>, keepdims} : (tensor<4x3xf32>) -> tensor<1x3xf32>
  %19 = train.reduce_max %17 {axes = array<i64: 0>, keepdims} : (tensor<4x3xf32>) -> tensor<1x3xf32>
  func.return %17, %18, %19 : tensor<4x3xf32>, tensor<4xf32>, tensor<1x3xf32>
}

// Pow with a tensor exponent (numpy broadcasting)
// CHECK-LABEL: func.func @pow_tensor
func.func @pow_tensor(%x: tensor<4x3xf32>, %e: tensor<3xf32>) -> tensor<4x3xf32> {
  // CHECK: train.pow_tensor %x, %e : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %0 = train.pow_tensor %x, %e : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}
