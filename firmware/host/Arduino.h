// A stand-in for the Arduino core, so that the reference sketch builds and runs on a PC (g++).
// Only what sitwatch_cushion.ino uses. The other half, host.cpp, simulates the board: time,
// the analog inputs, four HX711 boards, the multiplexers and the serial port.
// Used by tests/integration/test_firmware.py; see firmware/README.md ("Trying it on a PC").
#pragma once

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HIGH 1
#define LOW 0
#define INPUT 0
#define OUTPUT 1
#define INPUT_PULLUP 2

// Analog pins numbered as on a Mega (A0 = 54 ... A15 = 69), so up to 16 of them exist.
enum : uint8_t {
  A0 = 54, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15
};

unsigned long millis();
unsigned long micros();
void delay(unsigned long ms);
void delayMicroseconds(unsigned int us);
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t level);
int digitalRead(uint8_t pin);
int analogRead(uint8_t pin);
void noInterrupts();
void interrupts();

#if defined(ARDUINO_ARCH_ESP32)
void analogReadResolution(uint8_t bits);
typedef int portMUX_TYPE;
#define portMUX_INITIALIZER_UNLOCKED 0
#define portENTER_CRITICAL(lock) noInterrupts()
#define portEXIT_CRITICAL(lock) interrupts()
#endif

// F("...") keeps a string in flash on an AVR; here it is the plain string with its own type.
class __FlashStringHelper;
#define F(text) (reinterpret_cast<const __FlashStringHelper *>(text))

class HostSerial {
 public:
  void begin(unsigned long baud);
  int available();
  int read();
  size_t write(uint8_t byte);
  size_t print(const char *text);
  size_t print(const __FlashStringHelper *text);
  size_t print(char c);
  size_t print(unsigned char n);  // a number, as Arduino's Print does
  size_t print(int n);
  size_t print(unsigned int n);
  size_t print(long n);
  size_t print(unsigned long n);
  size_t println();
  template <typename T>
  size_t println(T value) {
    size_t n = print(value);
    return n + println();
  }

 private:
  size_t number(long long n);
};

extern HostSerial Serial;
