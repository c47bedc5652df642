// An rvx.words without words is rejected with a located message: an empty
// tensor has no data directive.
// RUN: tdopt %s --verify-diagnostics | filecheck %s

riscv.assembly_section ".data" {
  // CHECK: rvx_words_errors.mlir:[[# @LINE + 1]]:3: error: 'rvx.words': no words (an empty tensor has no data directive)
  rvx.words []
}
