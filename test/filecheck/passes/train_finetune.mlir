// RUN: tdopt %s -p 'train-finetune{last=1}' | filecheck %s --check-prefix=LAST1
// RUN: tdopt %s -p 'train-finetune{last=2}' | filecheck %s --check-prefix=LAST2
// RUN: tdopt %s -p 'train-finetune{trainable="norm_*",conv_w}' | filecheck %s --check-prefix=NAMES
// RUN: tdopt %s --verify-diagnostics -p 'train-finetune{trainable="nope*"}' | filecheck %s --check-prefix=NOMATCH
// RUN: tdopt %s --verify-diagnostics -p 'train-finetune{last=5}' | filecheck %s --check-prefix=RANGE
// RUN: tdopt %s --verify-diagnostics -p 'train-finetune' | filecheck %s --check-prefix=NONE

// Layers in program order: conv (weight + bias add), a decomposed norm
// (scale mul + shift add), the head (matmul + bias add).
// LAST1-LABEL: func.func @net
// LAST1: train.param @conv_w :
// LAST1: train.param @conv_b :
// LAST1: train.param @norm_scale :
// LAST1: train.param @norm_shift :
// LAST1: train.param @fc_w trainable :
// LAST1: train.param @fc_b trainable :

// LAST2-LABEL: func.func @net
// LAST2: train.param @conv_w :
// LAST2: train.param @conv_b :
// LAST2: train.param @norm_scale trainable :
// LAST2: train.param @norm_shift trainable :
// LAST2: train.param @fc_w trainable :

// NAMES-LABEL: func.func @net
// NAMES: train.param @conv_w trainable :
// NAMES: train.param @conv_b :
// NAMES: train.param @norm_scale trainable :
// NAMES: train.param @norm_shift trainable :
// NAMES: train.param @fc_w :

// NOMATCH: error: train-finetune: pattern 'nope*' matches no parameter of @net (parameters: conv_w, conv_b, norm_scale, norm_shift, fc_w, fc_b)
// RANGE: error: train-finetune: last=5 is out of range: @net has 3 layers with parameters
// NONE: error: train-finetune: choose parameters with trainable=NAMES_OR_GLOBS and/or last=N
func.func @net(%x: tensor<1x1x4x4xf32>, %labels: tensor<1xi64>) -> tensor<f32> {
  %cw = train.param @conv_w trainable : tensor<2x1x3x3xf32>
  %cb = train.param @conv_b : tensor<1x2x1x1xf32>
  %s = train.param @norm_scale : tensor<8xf32>
  %t = train.param @norm_shift : tensor<8xf32>
  %fw = train.param @fc_w : tensor<8x3xf32>
  %fb = train.param @fc_b : tensor<3xf32>
  %c = train.conv2d %x, %cw : (tensor<1x1x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x2x2xf32>
  %c1 = train.add %c, %cb : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %f = train.reshape %c1 : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  %m = train.reduce_mean %f {axes = array<i64: 1>, keepdims} : (tensor<1x8xf32>) -> tensor<1x1xf32>
  %d = train.sub %f, %m : (tensor<1x8xf32>, tensor<1x1xf32>) -> tensor<1x8xf32>
  %n = train.mul %d, %s : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  %n1 = train.add %n, %t : (tensor<1x8xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  %o = train.matmul %n1, %fw : (tensor<1x8xf32>, tensor<8x3xf32>) -> tensor<1x3xf32>
  %o1 = train.add %o, %fb : (tensor<1x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %l = train.cross_entropy %o1, %labels : (tensor<1x3xf32>, tensor<1xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
