// The metrics endpoint's HTTP answers (daemon/metrics/metrics_http.hpp), byte for byte.
#include "daemon/metrics/metrics_http.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tapstack::daemon::metrics {
namespace {

services::HttpRequest request(std::string method, std::string target) {
  services::HttpRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

struct CountingRenderer {
  int calls = 0;
  RenderMetrics render() {
    return [this] {
      ++calls;
      return std::string{"tapstack_up 1\n"};
    };
  }
};

TEST(MetricsHttp, GetMetricsAnswersTheRenderedText) {
  CountingRenderer renderer;
  EXPECT_EQ(answer_metrics_request(request("GET", "/metrics"), renderer.render()),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4\r\n"
            "Content-Length: 14\r\n"
            "Connection: close\r\n"
            "\r\n"
            "tapstack_up 1\n");
  EXPECT_EQ(renderer.calls, 1);
}

TEST(MetricsHttp, AQueryIsIgnored) {
  CountingRenderer renderer;
  const std::string answer =
      answer_metrics_request(request("GET", "/metrics?name[]=up"), renderer.render());
  EXPECT_EQ(answer.substr(0, answer.find('\r')), "HTTP/1.1 200 OK");
}

// RFC 9110 §9.3.2: HEAD gets GET's headers, Content-Length included, without the body.
TEST(MetricsHttp, HeadHasTheHeadersWithoutTheBody) {
  CountingRenderer renderer;
  EXPECT_EQ(answer_metrics_request(request("HEAD", "/metrics"), renderer.render()),
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: text/plain; version=0.0.4\r\n"
            "Content-Length: 14\r\n"
            "Connection: close\r\n"
            "\r\n");
}

TEST(MetricsHttp, OtherPathsAre404WithoutRendering) {
  CountingRenderer renderer;
  for (const char* target : {"/", "/metrics/", "/metricsx", "/other", "*"}) {
    const std::string answer = answer_metrics_request(request("GET", target), renderer.render());
    EXPECT_EQ(answer.substr(0, answer.find('\r')), "HTTP/1.1 404 Not Found") << target;
  }
  EXPECT_EQ(renderer.calls, 0);
}

TEST(MetricsHttp, OtherMethodsAre405WithAllow) {
  CountingRenderer renderer;
  const std::string body = "method not allowed\n";
  for (const char* method : {"POST", "PUT", "DELETE", "get"}) {
    EXPECT_EQ(answer_metrics_request(request(method, "/metrics"), renderer.render()),
              "HTTP/1.1 405 Method Not Allowed\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Length: 19\r\n"
              "Connection: close\r\n"
              "Allow: GET, HEAD\r\n"
              "\r\n" +
                  body)
        << method;
  }
  EXPECT_EQ(renderer.calls, 0);
}

TEST(MetricsHttp, ErrorAnswersCarryTheirReason) {
  EXPECT_EQ(error_answer(431),
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 32\r\n"
            "Connection: close\r\n"
            "\r\n"
            "Request Header Fields Too Large\n");
  EXPECT_EQ(error_answer(400).substr(0, 24), "HTTP/1.1 400 Bad Request");
}

}  // namespace
}  // namespace tapstack::daemon::metrics
