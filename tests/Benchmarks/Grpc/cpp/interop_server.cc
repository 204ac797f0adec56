// Reference (c) of the gRPC benchmark: sluice.interop.v1.InteropService on gRPC C++ with the
// callback API. Implements UnaryEcho and ServerStream with the contract's semantics; every other
// method answers UNIMPLEMENTED (the generated base class does that). grpc.health.v1.Health is
// gRPC C++'s default health service (EnableDefaultHealthCheckService): "" is SERVING.
//
// Usage: interop_server --port N   (binds 127.0.0.1:N, prints "listening on N" when ready)

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "sluice/interop/v1/interop.grpc.pb.h"

namespace {

using sluice::interop::v1::EchoRequest;
using sluice::interop::v1::EchoResponse;
using sluice::interop::v1::InteropService;
using sluice::interop::v1::StreamRequest;

// Same cap as Kestrel's MaxStreamsPerConnection in Shared/BenchmarkKestrel.cs.
constexpr int kMaxConcurrentStreams = 256;

// Largest payload a stream reply may carry; bigger requests are INVALID_ARGUMENT, as on Kestrel.
constexpr int kMaxStreamPayload = 2 * 1024 * 1024;

// Writes `count` replies one after another: the callback API allows one outstanding write, so
// each OnWriteDone starts the next; the last reply goes out together with the status.
class StreamReactor final : public grpc::ServerWriteReactor<EchoResponse> {
 public:
  explicit StreamReactor(const StreamRequest& request)
      : prefix_(request.message() + "-"), count_(request.count()) {
    if (count_ < 0 || request.payload_size() < 0 || request.payload_size() > kMaxStreamPayload) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "count must be >= 0 and payload_size within 0-2 MiB"));
      return;
    }
    reply_.set_payload(std::string(static_cast<size_t>(request.payload_size()), '\0'));
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      // The peer went away; Finish is still required before OnDone.
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    if (next_ == count_) {
      Finish(grpc::Status::OK);
      return;
    }
    reply_.set_message(prefix_ + std::to_string(next_));
    reply_.set_sequence(next_);
    ++next_;
    if (next_ == count_) {
      StartWriteAndFinish(&reply_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(&reply_);
    }
  }

  const std::string prefix_;
  const int count_;
  int next_ = 0;
  EchoResponse reply_;
};

class InteropServiceImpl final : public InteropService::CallbackService {
  grpc::ServerUnaryReactor* UnaryEcho(grpc::CallbackServerContext* context,
                                      const EchoRequest* request,
                                      EchoResponse* response) override {
    response->set_message(request->message());
    if (request->response_size() > 0) {
      response->set_payload(std::string(static_cast<size_t>(request->response_size()), '\0'));
    } else {
      response->set_payload(request->payload());
    }
    response->set_received_size(static_cast<int32_t>(request->payload().size()));
    if (request->compress_response()) {
      context->set_compression_algorithm(GRPC_COMPRESS_GZIP);
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerWriteReactor<EchoResponse>* ServerStream(grpc::CallbackServerContext* /*context*/,
                                                       const StreamRequest* request) override {
    return new StreamReactor(*request);
  }
};

int ParsePort(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--port") == 0) {
      const int port = std::atoi(argv[i + 1]);
      if (port > 0 && port <= 65535) return port;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = ParsePort(argc, argv);
  if (port == 0) {
    std::cerr << "usage: " << argv[0] << " --port N" << std::endl;
    return 2;
  }

  // Must precede building the server; the server then serves grpc.health.v1.Health with the
  // overall status ("") SERVING.
  grpc::EnableDefaultHealthCheckService(true);

  InteropServiceImpl service;
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &bound_port);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || bound_port != port) {
    std::cerr << "could not listen on 127.0.0.1:" << port << std::endl;
    return 1;
  }
  if (server->GetHealthCheckService() == nullptr) {
    std::cerr << "the default health service is not running" << std::endl;
    return 1;
  }

  std::cout << "listening on " << port << std::endl;
  server->Wait();
  return 0;
}
