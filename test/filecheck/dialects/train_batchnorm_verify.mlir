// Malformed batch normalisation ops are rejected with a located message.
// RUN: tdopt %s --split-input-file --verify-diagnostics | filecheck %s

func.func @f(%x: tensor<2x3xf32>, %s: tensor<4xf32>) -> tensor<2x3xf32> {
  // CHECK: train_batchnorm_verify.mlir:[[# @LINE + 1]]:3: error: 'train.batchnorm': scale must have shape 3 (one value per channel of input 2x3), got tensor<4xf32>
  %0 = train.batchnorm %x, %s, %s, %s, %s {epsilon = 1.0e-05 : f32} : (tensor<2x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%x: tensor<1x3x1x1xf32>, %s: tensor<3xf32>) -> tensor<1x3x1x1xf32> {
  // CHECK: train_batchnorm_verify.mlir:[[# @LINE + 1]]:3: error: 'train.batchnorm': batch statistics need more than one value per channel; input tensor<1x3x1x1xf32> has one
  %0 = train.batchnorm %x, %s, %s, %s, %s {epsilon = 1.0e-05 : f32, training} : (tensor<1x3x1x1xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x1x1xf32>
  func.return %0 : tensor<1x3x1x1xf32>
}
// -----
func.func @f(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> tensor<2x3xf32> {
  %m = train.param @m trainable : tensor<3xf32>
  // CHECK: train_batchnorm_verify.mlir:[[# @LINE + 1]]:3: error: 'train.batchnorm': the running mean @m is a statistic, not a trainable parameter
  %0 = train.batchnorm %x, %s, %s, %m, %s {epsilon = 1.0e-05 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// -----
func.func @f(%x: tensor<2x3xf32>, %s: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  // CHECK: train_batchnorm_verify.mlir:[[# @LINE + 1]]:3: error: 'train.batchnorm_update': momentum must be in [0, 1] (ONNX convention: the weight of the old running value), got 1.5
  %0, %1 = train.batchnorm_update %x, %s, %s {momentum = 1.5 : f32} : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
  func.return %0, %1 : tensor<3xf32>, tensor<3xf32>
}
