// RUN: tdopt %s -p 'train-stats' 2>&1 >/dev/null | filecheck %s --check-prefix=TABLE
// RUN: tdopt %s -p 'train-stats{output=none}' | filecheck %s --check-prefix=ATTR
// RUN: tdopt %s -p 'train-autodiff,train-sgd{lr=0.1},train-stats{output=none}' | filecheck %s --check-prefix=ATTR
// RUN: tdopt %s --verify-diagnostics -p 'train-stats{output=file}' | filecheck %s --check-prefix=BAD

// conv 1x1x6x6 * 2x1x3x3 -> 1x2x4x4: 2 * 32 * 9 = 576 FLOPs forward, and as
// many for the weight gradient (the input is not differentiated); gemm
// 1x8 x 8x2: 32 forward, 32 for dX and 32 for dW.
// TABLE: train-stats @net:
// TABLE-NEXT: parameters 50
// TABLE-NEXT: trainable parameters 34
// TABLE-NEXT: frozen parameters 16
// TABLE-NEXT: trainable tensors 2
// TABLE-NEXT: gradient elements 34
// TABLE-NEXT: forward FLOPs 608
// TABLE-NEXT: backward FLOPs 640
// TABLE-NEXT: step FLOPs 1,248

// ATTR: train.stats = {trainable_parameters = 34 : i64, gradient_elements = 34 : i64, forward_flops = 608 : i64, backward_flops = 640 : i64}

// BAD: error: train-stats: output must be stderr, stdout or none, got 'file'
func.func @net(%x: tensor<1x1x6x6xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %w = train.param @conv_w trainable : tensor<2x1x3x3xf32>
  %fc = train.param @fc_w trainable : tensor<2x8xf32>
  %fz = train.param @frozen : tensor<16xf32>
  %c = train.conv2d %x, %w : (tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
  %p = train.maxpool2d %c {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %f = train.reshape %p : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  %o = train.gemm %f, %fc {trans_b} : (tensor<1x8xf32>, tensor<2x8xf32>) -> tensor<1x2xf32>
  %l = train.cross_entropy %o, %labels : (tensor<1x2xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
