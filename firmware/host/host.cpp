// Runs the reference sketch on a PC: a simulated board around setup() and loop().
//
//   g++ -std=c++17 -I firmware/host -DSITWATCH_VARIANT=2 -x c++
//       firmware/arduino/sitwatch_cushion/sitwatch_cushion.ino -x none
//       firmware/host/host.cpp -o cushion-host          (one line)
//   ./cushion-host --seconds 5 --at 1000 "BUZZ 2" --watch 9
//
// What the sketch prints goes to stdout; what the simulation notices goes to stderr, one event
// a line: "pin 9 1 1000.05" (a watched pin changed, at that many ms), "hx711-powerdown ..."
// (a clock pulse stayed high for 60 us or more), "hx711-early ..." (clocked while not ready).
//
// Time is simulated (each pin access, conversion and byte sent takes as long as on an Uno), so a
// run is fast and repeatable. --realtime follows the wall clock instead and reads commands from
// stdin: with stdin and stdout on a pseudo-terminal, sitwatch can read it like a real cushion.
//
// The simulated inputs, on the sketch's default AVR pins:
//   analog pin Ak (k = 0..15)   1022 - 40*k: like FSRs to ground, an empty seat reads high
//   A0 via the multiplexers     4*(16*row + col) + 2, row from the sense select pins 6,7,8,10
//                               and col from the drive select pins 2,3,4,5 (so a matrix cell
//                               reads back as 16*row + col after >>2, an FSR k as 4*16*k + 2)
//   HX711 on SCK 2, DOUT 3..6   raw = OFFSET[i] + (after 3 s: 6400*(i+1)), 10 conversions/s;
//                               --hx-dead I leaves board I silent (DOUT high)
#include <Arduino.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <deque>
#include <string>
#include <vector>

void setup();
void loop();

HostSerial Serial;

namespace {

bool realtime = false;
bool sketch_uses_mux = false;  // the sense mux's select pins are outputs
bool sketch_uses_hx711 = false;  // the HX711 data pins are inputs
double now_us = 0;  // simulated time
double start_real = 0;
std::deque<std::pair<double, std::string>> schedule;  // (ms, text): bytes for the sketch
std::deque<uint8_t> rx;
int watched[16];
int n_watched = 0;
uint8_t level[128];
bool interrupts_on = true;

double real_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

double t_us() { return realtime ? real_us() - start_real : now_us; }

void spend(double us) {
  if (!realtime) now_us += us;
}

// --- four HX711 boards sharing SCK (pin 2), DOUT on 3..6 -------------------------------------
const uint8_t SCK = 2;
const uint8_t DOUT0 = 3;
const int32_t OFFSET[4] = {-50000, 120000, -3000000, 7000};  // multiples of 8: an exact tare
struct Hx {
  double ready_at_us = 100e3;  // first conversion after 100 ms
  bool reading = false;
  int pulses = 0;
  uint32_t latched = 0;
  bool dead = false;
};
Hx hx[4];
double sck_high_since = -1;

int32_t hx_value(int i, double at_us) {
  return OFFSET[i] + (at_us >= 3e6 ? 6400 * (i + 1) : 0);
}

void hx_sck(uint8_t lvl) {
  double t = t_us();
  if (lvl == HIGH) {
    sck_high_since = t;
    for (int i = 0; i < 4; i++) {
      Hx &h = hx[i];
      if (h.dead) continue;
      if (!h.reading) {
        if (t < h.ready_at_us) {
          fprintf(stderr, "hx711-early %d %.3f\n", i, t / 1e3);
          continue;
        }
        h.reading = true;
        h.pulses = 0;
        h.latched = (uint32_t)hx_value(i, h.ready_at_us) & 0xFFFFFFu;
      }
      h.pulses++;
    }
  } else if (sck_high_since >= 0) {
    if (t - sck_high_since >= 60) fprintf(stderr, "hx711-powerdown %.3f\n", t / 1e3);
    sck_high_since = -1;
  }
}

// After 25..27 pulses a board starts its next conversion (we do not check the gain pulses).
void hx_settle() {
  for (int i = 0; i < 4; i++) {
    Hx &h = hx[i];
    if (h.reading && h.pulses >= 25 && level[SCK] == LOW) {
      h.reading = false;
      h.ready_at_us = t_us() + 100e3;
    }
  }
}

int hx_dout(int i) {
  Hx &h = hx[i];
  if (h.dead) return HIGH;
  if (!h.reading) return t_us() >= h.ready_at_us ? LOW : HIGH;
  if (h.pulses >= 1 && h.pulses <= 24) return (h.latched >> (24 - h.pulses)) & 1;
  return HIGH;
}

int mux_channel(const uint8_t pins[4]) {
  int ch = 0;
  for (int b = 0; b < 4; b++) ch |= (level[pins[b]] ? 1 : 0) << b;
  return ch;
}

}  // namespace

// --- the Arduino API ---------------------------------------------------------------------------
unsigned long millis() { return (unsigned long)(t_us() / 1000); }
unsigned long micros() { return (unsigned long)t_us(); }
void delay(unsigned long ms) {
  if (realtime)
    usleep(ms * 1000);
  else
    now_us += ms * 1000.0;
}
void delayMicroseconds(unsigned int us) {
  if (realtime) {
    double until = real_us() + us;
    while (real_us() < until) {
    }
  } else {
    now_us += us;
  }
}
void pinMode(uint8_t pin, uint8_t mode) {
  spend(4);
  if (mode == OUTPUT && (pin == 6 || pin == 7 || pin == 8 || pin == 10)) sketch_uses_mux = true;
  if (mode != OUTPUT && pin >= DOUT0 && pin < DOUT0 + 4) sketch_uses_hx711 = true;
}
void noInterrupts() { interrupts_on = false; }
void interrupts() { interrupts_on = true; }
#if defined(ARDUINO_ARCH_ESP32)
void analogReadResolution(uint8_t bits) { (void)bits; }
#endif

void digitalWrite(uint8_t pin, uint8_t lvl) {
  spend(4);
  uint8_t old = level[pin];
  level[pin] = lvl ? HIGH : LOW;
  if (sketch_uses_hx711 && pin == SCK && old != level[pin]) {
    hx_sck(level[pin]);
    hx_settle();
  }
  for (int i = 0; i < n_watched; i++)
    if (watched[i] == pin && old != level[pin])
      fprintf(stderr, "pin %d %d %.3f\n", pin, level[pin], t_us() / 1e3);
}

int digitalRead(uint8_t pin) {
  spend(4);
  if (sketch_uses_hx711 && pin >= DOUT0 && pin < DOUT0 + 4) return hx_dout(pin - DOUT0);
  return level[pin];
}

int analogRead(uint8_t pin) {
  spend(112);  // an Uno's conversion time
  static const uint8_t sense[4] = {6, 7, 8, 10};
  static const uint8_t drive[4] = {2, 3, 4, 5};
  if (pin == A0 && sketch_uses_mux) return 4 * (16 * mux_channel(sense) + mux_channel(drive)) + 2;
  if (pin >= A0 && pin <= A15) return 1022 - 40 * (pin - A0);
  return 0;
}

// --- the serial port: stdout out, scheduled (or stdin) bytes in --------------------------------
void HostSerial::begin(unsigned long baud) { (void)baud; }

int HostSerial::available() { return (int)rx.size(); }

int HostSerial::read() {
  if (rx.empty()) return -1;
  int c = rx.front();
  rx.pop_front();
  return c;
}

size_t HostSerial::write(uint8_t byte) {
  spend(86.8);  // ten bits at 115200 baud
  fputc(byte, stdout);
  if (realtime && byte == '\n') fflush(stdout);
  return 1;
}

size_t HostSerial::print(const char *text) {
  size_t n = 0;
  while (*text) n += write((uint8_t)*text++);
  return n;
}
size_t HostSerial::print(const __FlashStringHelper *text) {
  return print(reinterpret_cast<const char *>(text));
}
size_t HostSerial::print(char c) { return write((uint8_t)c); }
size_t HostSerial::number(long long n) {
  char buf[24];
  snprintf(buf, sizeof buf, "%lld", n);
  return print(buf);
}
size_t HostSerial::print(unsigned char n) { return number(n); }
size_t HostSerial::print(int n) { return number(n); }
size_t HostSerial::print(unsigned int n) { return number(n); }
size_t HostSerial::print(long n) { return number(n); }
size_t HostSerial::print(unsigned long n) { return number((long long)n); }
size_t HostSerial::println() { return write('\r') + write('\n'); }

// --- the run -------------------------------------------------------------------------------------
int main(int argc, char **argv) {
  double seconds = 5;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = atof(argv[++i]);
    } else if (a == "--at" && i + 2 < argc) {
      double ms = atof(argv[i + 1]);
      schedule.emplace_back(ms, std::string(argv[i + 2]) + "\n");
      i += 2;
    } else if (a == "--watch" && i + 1 < argc && n_watched < 16) {
      watched[n_watched++] = atoi(argv[++i]);
    } else if (a == "--hx-dead" && i + 1 < argc) {
      int k = atoi(argv[++i]);
      if (k >= 0 && k < 4) hx[k].dead = true;
    } else if (a == "--realtime") {
      realtime = true;
    } else {
      fprintf(stderr, "usage: %s [--seconds S] [--at MS TEXT]... [--watch PIN]... "
              "[--hx-dead I] [--realtime]\n", argv[0]);
      return 2;
    }
  }
  if (realtime) {
    start_real = real_us();
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  }
  setup();
  while (t_us() < seconds * 1e6) {
    while (!schedule.empty() && schedule.front().first * 1000 <= t_us()) {
      for (char c : schedule.front().second) rx.push_back((uint8_t)c);
      schedule.pop_front();
    }
    if (realtime) {
      char buf[256];
      ssize_t n = ::read(0, buf, sizeof buf);
      for (ssize_t k = 0; k < n; k++) rx.push_back((uint8_t)buf[k]);
    }
    loop();
    if (realtime)
      usleep(500);
    else
      now_us += 20;  // the loop's own overhead
  }
  fflush(stdout);
  if (!interrupts_on) fprintf(stderr, "interrupts-left-off\n");
  return 0;
}
