/**
 * ONNX import: reads the ONNX protobuf wire format directly (ModelProto, GraphProto, NodeProto,
 * TensorProto with raw, typed and external data) and maps opsets 7-17 onto the network IR.
 * Entry point: {@link org.dyve.format.onnx.OnnxImporter}.
 */
package org.dyve.format.onnx;
