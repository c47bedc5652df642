// A malformed op of each kind is rejected by its verifier with a located
// message naming the op and the expected shape.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @f(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.add': operand shapes 2x3 and 4x3 are not broadcast-compatible (dimension -2: 2 vs 4)
  %0 = train.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.sub': operand shapes 2x3 and 2x4 are not broadcast-compatible
  %0 = train.sub %a, %b : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<3x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.mul': result type tensor<3x3xf32> does not match the inferred type tensor<2x3xf32>
  %0 = train.mul %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  func.return %0 : tensor<3x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>, %b: tensor<2x3xf64>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.div': operands must share one element type, got f32, f64
  %0 = train.div %a, %b : (tensor<2x3xf32>, tensor<2x3xf64>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xi32>) -> tensor<2x3xi32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.relu': input must have f32 or f64 elements, got i32
  %0 = train.relu %a : (tensor<2x3xi32>) -> tensor<2x3xi32>
  func.return %0 : tensor<2x3xi32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.sqrt': result type tensor<3x2xf32> does not match the inferred type tensor<2x3xf32>
  %0 = train.sqrt %a : (tensor<2x3xf32>) -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.pow': result type tensor<2xf32> does not match the inferred type tensor<2x3xf32>
  %0 = train.pow %a {exponent = 2.0 : f32} : (tensor<2x3xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.gelu': approximate must be one of 'none', 'tanh', got 'sigmoid'
  %0 = train.gelu %a {approximate = "sigmoid"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.softmax': axis 2 is out of range for a rank-2 tensor (expected -2 <= axis < 2)
  %0 = train.softmax %a {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%x: tensor<2x5x8xf32>, %s: tensor<5x8xf32>) -> tensor<2x5x8xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.layernorm': scale must have shape 8 (input shape from axis 2), got tensor<5x8xf32>
  %0 = train.layernorm %x, %s {axis = -1 : i64, epsilon = 1.0e-05 : f32} : (tensor<2x5x8xf32>, tensor<5x8xf32>) -> tensor<2x5x8xf32>
  func.return %0 : tensor<2x5x8xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.matmul': contraction dimensions differ: lhs 2x3 has 3 columns, rhs 4x5 has 4 rows (expected rhs shape ...x3x5)
  %0 = train.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  func.return %0 : tensor<2x5xf32>
}
// -----
func.func @f(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.gemm': A must have rank 2 (M x K), got tensor<2x3x4xf32>
  %0 = train.gemm %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  func.return %0 : tensor<2x3x5xf32>
}
// -----
func.func @f(%a: tensor<2x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.gemm': op(A) is 2x4 and op(B) is 5x4; expected op(B) of shape 4x4
  %0 = train.gemm %a, %b {trans_b} : (tensor<2x4xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  func.return %0 : tensor<2x5xf32>
}
// -----
func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.conv2d': input has 3 channels and group = 1; expected a weight of shape 4x3x3x3 with 4 divisible by 1, got tensor<4x2x3x3xf32>
  %0 = train.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}
// -----
func.func @f(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.conv2d': input must have rank 4 (N x C x H x W), got tensor<3x8x8xf32>
  %0 = train.conv2d %x, %w : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  func.return %0 : tensor<1x4x6x6xf32>
}
// -----
func.func @f(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.maxpool2d': result type tensor<1x3x4x4xf32> does not match the inferred type tensor<1x3x3x3xf32>
  %0 = train.maxpool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  func.return %0 : tensor<1x3x4x4xf32>
}
// -----
func.func @f(%x: tensor<2x3x4xf32>) -> tensor<2x4x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.transpose': perm [0, 2, 2] is not a permutation of 0..2 for input tensor<2x3x4xf32>
  %0 = train.transpose %x {perm = array<i64: 0, 2, 2>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  func.return %0 : tensor<2x4x3xf32>
}
// -----
func.func @f(%x: tensor<2x3x4xf32>) -> tensor<5x5xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.reshape': cannot reshape tensor<2x3x4xf32> (24 elements) into tensor<5x5xf32> (25 elements)
  %0 = train.reshape %x : (tensor<2x3x4xf32>) -> tensor<5x5xf32>
  func.return %0 : tensor<5x5xf32>
}
// -----
func.func @f(%x: tensor<2x3x4xf32>) -> tensor<2x4xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.squeeze': cannot squeeze dimension 1 of tensor<2x3x4xf32>: its size is 3, expected 1
  %0 = train.squeeze %x {axes = array<i64: 1>} : (tensor<2x3x4xf32>) -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}
// -----
func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3x1xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.unsqueeze': axis 5 is out of range for a rank-3 tensor
  %0 = train.unsqueeze %x {axes = array<i64: 5>} : (tensor<2x3xf32>) -> tensor<2x3x1xf32>
  func.return %0 : tensor<2x3x1xf32>
}
// -----
func.func @f(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) -> tensor<2x6xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.concat': input 1 has shape 3x3; expected 2x? (all dimensions but axis 1 equal)
  %0 = train.concat %x, %y {axis = 1 : i64} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  func.return %0 : tensor<2x6xf32>
}
// -----
func.func @f(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.reduce_mean': axis 3 is out of range for a rank-2 tensor
  %0 = train.reduce_mean %x {axes = array<i64: 3>} : (tensor<2x3xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.reduce_sum': result type tensor<2xf32> does not match the inferred type tensor<2x1xf32>
  %0 = train.reduce_sum %x {axes = array<i64: 1>, keepdims} : (tensor<2x3xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f(%x: tensor<4x10xf32>, %y: tensor<4xf32>) -> tensor<f32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.cross_entropy': labels must have integer elements, got tensor<4xf32>
  %0 = train.cross_entropy %x, %y : (tensor<4x10xf32>, tensor<4xf32>) -> tensor<f32>
  func.return %0 : tensor<f32>
}
// -----
func.func @f(%x: tensor<4x10xf32>, %y: tensor<3xi64>) -> tensor<f32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.cross_entropy': labels must have shape 4 (one class index per row of the logits), got tensor<3xi64>
  %0 = train.cross_entropy %x, %y : (tensor<4x10xf32>, tensor<3xi64>) -> tensor<f32>
  func.return %0 : tensor<f32>
}
// -----
func.func @f(%x: tensor<4x10xf32>, %y: tensor<4x8xf32>) -> tensor<f32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.mse': target must have the prediction's shape 4x10, got tensor<4x8xf32>
  %0 = train.mse %x, %y : (tensor<4x10xf32>, tensor<4x8xf32>) -> tensor<f32>
  func.return %0 : tensor<f32>
}
// -----
func.func @f() -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.param': parameter @w is defined more than once
  %0 = train.param @w : tensor<2xf32>
  %1 = train.param @w : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f() -> tensor<2xi32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.param': a parameter must have f32 or f64 elements, got i32
  %0 = train.param @w : tensor<2xi32>
  func.return %0 : tensor<2xi32>
}
// -----
func.func @f() -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.constant': value type tensor<3xf32> does not match result type tensor<2xf32>
  %0 = "train.constant"() <{value = dense<1.0> : tensor<3xf32>}> : () -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: Expected
  %0 = train.relu %a : tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xi32>) -> tensor<2x3xi32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.sigmoid': input must have f32 or f64 elements, got i32
  %0 = train.sigmoid %a : (tensor<2x3xi32>) -> tensor<2x3xi32>
  func.return %0 : tensor<2x3xi32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.clip': min must be a finite number, got nan
  %0 = train.clip %a {min = 0x7FC00000 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.hardsigmoid': alpha must be a finite number, got inf
  %0 = train.hardsigmoid %a {alpha = 0x7F800000 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.max': operand shapes 2x3 and 2x4 are not broadcast-compatible (dimension -1: 3 vs 4)
  %0 = train.max %a, %b : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.reduce_max': axis 2 is out of range for a rank-2 tensor (expected -2 <= axis < 2)
  %0 = train.reduce_max %a {axes = array<i64: 2>} : (tensor<2x3xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>) -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.reduce_max': result type tensor<2xf32> does not match the inferred type tensor<3xf32>
  %0 = train.reduce_max %a {axes = array<i64: 0>} : (tensor<2x3xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f(%a: tensor<4x6xf32>) -> tensor<2x4xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.slice': dimension 1 of size 6: start 5, size 4, step -2 select indices outside [0, 6)
  %0 = train.slice %a {starts = array<i64: 0, 5>, sizes = array<i64: 2, 4>, steps = array<i64: 1, -2>} : (tensor<4x6xf32>) -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}
// -----
func.func @f(%a: tensor<4x6xf32>) -> tensor<2xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.slice': starts must have one entry per dimension of the rank-2 input (4x6), got [1]
  %0 = train.slice %a {starts = array<i64: 1>, sizes = array<i64: 2>} : (tensor<4x6xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// -----
func.func @f(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<2x3xf32> {
  // CHECK: train_verify.mlir:[[# @LINE + 1]]:3: error: 'train.pow_tensor': operand shapes 2x3 and 2x4 are not broadcast-compatible (dimension -1: 3 vs 4)
  %0 = train.pow_tensor %a, %b : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
