// sitwatch reference firmware: a seat cushion that streams wire format v1 over USB serial.
//
// One sketch, three cushions. Pick yours with SITWATCH_VARIANT below (or -DSITWATCH_VARIANT=2
// on a command line), check the pins of that variant, and upload it. Runs on AVR boards
// (Arduino Uno, Nano, Mega) and on the ESP32 (Arduino core). firmware/README.md has the wiring.
//
//   SITWATCH_FSR     force-sensing resistors on voltage dividers into the analog pins
//                    (or through a 74HC4067 multiplexer); layout fsr-cushion-9 or your own
//   SITWATCH_HX711   four load cells under the seat corners, each on an HX711 board;
//                    layout load-cells-4
//   SITWATCH_MATRIX  a velostat matrix scanned through two 74HC4067 multiplexers;
//                    layout matrix-16x16 (or grid:RxC)
//
// What goes out (115200 baud, 8N1), see docs/protocol.md:
//   # sitwatch-cushion fw=1.0 variant=fsr channels=9 time=ms      <- a declaration, every 5 s
//   48213,1022,1019,1021,1020,1018,1022,1023,1021,1020            <- millis(), then N values
// What comes in (docs/channels.md, "Buzzer"): "BUZZ 3" or "VIBE 200,100,200", one per line.
// The pattern plays on BUZZER_PIN without stopping the frames; the sketch answers with a
// comment line ("# ok BUZZ 3"), which sitwatch counts and never mistakes for a frame.
//
// Written for sitwatch; public domain where possible, else the project's licence.

#include <Arduino.h>

#define SITWATCH_FSR 1
#define SITWATCH_HX711 2
#define SITWATCH_MATRIX 3

// ---------------------------------------------------------------------------------------------
// Settings. Every one can also be given with -D on the command line (arduino-cli, arduino-mk).
// ---------------------------------------------------------------------------------------------
#ifndef SITWATCH_VARIANT
#define SITWATCH_VARIANT SITWATCH_FSR
#endif

#ifndef SERIAL_BAUD
#define SERIAL_BAUD 115200
#endif
// 1: every frame starts with millis() (declared as "time=ms"); 0: values only.
#ifndef SEND_TIMESTAMP
#define SEND_TIMESTAMP 1
#endif
// The declaration is repeated: boards with native USB do not reset when sitwatch opens the port.
#ifndef DECLARE_EVERY_MS
#define DECLARE_EVERY_MS 5000
#endif
// A buzzer (active, through a transistor) or a vibration motor (through a transistor or a
// driver, with a flyback diode). -1: no buzzer; commands are then answered and ignored.
#ifndef BUZZER_PIN
#if defined(ARDUINO_ARCH_ESP32)
#define BUZZER_PIN 23
#else
#define BUZZER_PIN 9
#endif
#endif
#ifndef BUZZER_ACTIVE_HIGH
#define BUZZER_ACTIVE_HIGH 1
#endif

// Multiplexer pins (74HC4067, 16 channels): the "sense" one routes a row (or an FSR) to
// MUX_SIG_PIN; the "drive" one (matrix only) connects a column to the supply.
#if defined(ARDUINO_ARCH_ESP32)
#ifndef SENSE_SELECT_PINS
#define SENSE_SELECT_PINS 16, 17, 18, 19
#endif
#ifndef DRIVE_SELECT_PINS
#define DRIVE_SELECT_PINS 21, 22, 25, 26
#endif
#ifndef MUX_SIG_PIN
#define MUX_SIG_PIN 36
#endif
#else
#ifndef SENSE_SELECT_PINS
#define SENSE_SELECT_PINS 6, 7, 8, 10
#endif
#ifndef DRIVE_SELECT_PINS
#define DRIVE_SELECT_PINS 2, 3, 4, 5
#endif
#ifndef MUX_SIG_PIN
#define MUX_SIG_PIN A0
#endif
#endif

#if SITWATCH_VARIANT == SITWATCH_FSR
// FSRs: straight into analog pins (FSR_PINS), or FSR_COUNT of them through the sense
// multiplexer (FSR_VIA_MUX 1: nine FSRs on an Uno). Readings are 0..1023 on every board.
#ifndef FSR_VIA_MUX
#define FSR_VIA_MUX 0
#endif
#ifndef FSR_COUNT
#define FSR_COUNT 9
#endif
#ifndef FSR_PINS
#if defined(ARDUINO_ARCH_ESP32)
// ADC1 pins first (they keep working with Wi-Fi on), then three ADC2 pins.
#define FSR_PINS 36, 39, 34, 35, 32, 33, 25, 26, 27
#else
#define FSR_PINS A0, A1, A2, A3
#endif
#endif
#ifndef FSR_OVERSAMPLE
#define FSR_OVERSAMPLE 4  // readings averaged per value (less noise)
#endif
#ifndef FRAME_HZ
#define FRAME_HZ 20
#endif
#define VARIANT_NAME "fsr"

#elif SITWATCH_VARIANT == SITWATCH_HX711
// Four HX711 boards share one clock pin; each has its own data pin, in the order of the
// load-cells-4 layout: rear-left, rear-right, front-left, front-right.
#ifndef HX711_SCK_PIN
#if defined(ARDUINO_ARCH_ESP32)
#define HX711_SCK_PIN 18
#else
#define HX711_SCK_PIN 2
#endif
#endif
#ifndef HX711_DOUT_PINS
#if defined(ARDUINO_ARCH_ESP32)
#define HX711_DOUT_PINS 19, 21, 22, 25
#else
#define HX711_DOUT_PINS 3, 4, 5, 6
#endif
#endif
// Extra clock pulses after the 24 data bits choose the next conversion: 1 = channel A, gain
// 128 (the usual), 2 = channel B, gain 32, 3 = channel A, gain 64.
#ifndef HX711_GAIN_PULSES
#define HX711_GAIN_PULSES 1
#endif
// 1: the readings at power-on are the zero (keep the seat empty while the board starts).
// 0: HX711_BIAS is added instead; sitwatch's own calibration finds the empty seat either way.
#ifndef HX711_TARE_AT_START
#define HX711_TARE_AT_START 1
#endif
#ifndef HX711_TARE_SAMPLES
#define HX711_TARE_SAMPLES 8
#endif
// Sent value = (raw - zero) / HX711_DIVIDER + HX711_BIAS, kept within 0..65535 (the
// layout's full_scale). Without the tare, HX711_BIAS 32768 with a divider of 256 fits every
// 24-bit reading.
#ifndef HX711_DIVIDER
#define HX711_DIVIDER 64
#endif
#ifndef HX711_BIAS
#define HX711_BIAS 0
#endif
#ifndef FRAME_HZ
#define FRAME_HZ 10  // an HX711 with RATE to ground converts 10 times a second
#endif
#define VARIANT_NAME "hx711"

#elif SITWATCH_VARIANT == SITWATCH_MATRIX
#ifndef MATRIX_ROWS
#define MATRIX_ROWS 16
#endif
#ifndef MATRIX_COLS
#define MATRIX_COLS 16
#endif
#ifndef MATRIX_SETTLE_US
#define MATRIX_SETTLE_US 20
#endif
// 1: answer sitwatch's poll byte with one byte per cell (cushion.mode = "binary"); no
// declarations and no buzzer then. 0: text lines like the other variants.
#ifndef MATRIX_BINARY
#define MATRIX_BINARY 0
#endif
#ifndef MATRIX_POLL_BYTE
#define MATRIX_POLL_BYTE 'A'
#endif
#ifndef FRAME_HZ
#define FRAME_HZ 5  // 256 values of text take about 0.1 s at 115200 baud
#endif
#define VARIANT_NAME "matrix"

#else
#error "SITWATCH_VARIANT must be SITWATCH_FSR (1), SITWATCH_HX711 (2) or SITWATCH_MATRIX (3)"
#endif

#define FW_VERSION "1.0"
const unsigned long FRAME_PERIOD_MS = 1000UL / FRAME_HZ;

// ---------------------------------------------------------------------------------------------
// The buzzer: a pattern of on/off durations played from loop(), never blocking.
// ---------------------------------------------------------------------------------------------
const uint8_t MAX_STEPS = 18;  // BUZZ 9 is 17 steps (9 on, 8 off)
uint16_t pattern[MAX_STEPS];
uint8_t patternLen = 0;
uint8_t patternStep = 0;
unsigned long stepStarted = 0;
bool playing = false;

void buzzer(bool on) {
#if BUZZER_PIN >= 0
  digitalWrite(BUZZER_PIN, (on == (BUZZER_ACTIVE_HIGH != 0)) ? HIGH : LOW);
#else
  (void)on;
#endif
}

void startPattern(unsigned long now) {
  patternStep = 0;
  stepStarted = now;
  playing = patternLen > 0;
  buzzer(playing);
}

void servicePattern(unsigned long now) {
  if (!playing || now - stepStarted < pattern[patternStep]) return;
  stepStarted += pattern[patternStep];
  patternStep++;
  if (patternStep >= patternLen) {
    playing = false;
    buzzer(false);
    return;
  }
  buzzer(patternStep % 2 == 0);  // even steps are "on"
}

// Reads an unsigned decimal number at *p; false when there is none or it exceeds 65535.
bool readNumber(const char *&p, uint16_t &out) {
  if (*p < '0' || *p > '9') return false;
  unsigned long v = 0;
  while (*p >= '0' && *p <= '9') {
    v = v * 10 + (unsigned long)(*p - '0');
    if (v > 65535UL) return false;
    p++;
  }
  out = (uint16_t)v;
  return true;
}

// "BUZZ <n>" or "VIBE <on>,<off>,<on>..."; true when the line was one of them and valid.
bool parseCommand(const char *line) {
  const char *p = line;
  uint16_t v = 0;
  if (strncmp(p, "BUZZ ", 5) == 0) {
    p += 5;
    while (*p == ' ') p++;
    if (!readNumber(p, v) || v < 1 || v > 9) return false;
    while (*p == ' ') p++;
    if (*p) return false;
    patternLen = 0;
    for (uint16_t i = 0; i < v; i++) {
      if (i) pattern[patternLen++] = 120;  // off
      pattern[patternLen++] = 80;          // on
    }
    return true;
  }
  if (strncmp(p, "VIBE ", 5) == 0) {
    p += 5;
    uint8_t n = 0;
    uint16_t steps[16];
    for (;;) {
      while (*p == ' ') p++;
      if (n == 16 || !readNumber(p, v) || v < 10 || v > 5000) return false;
      steps[n++] = v;
      while (*p == ' ') p++;
      if (*p == ',') {
        p++;
        continue;
      }
      if (*p) return false;
      break;
    }
    for (uint8_t i = 0; i < n; i++) pattern[i] = steps[i];
    patternLen = n;
    return true;
  }
  return false;
}

// Incoming bytes, one command a line; a line over 100 bytes is thrown away whole.
char command[101];
uint8_t commandLen = 0;
bool commandTooLong = false;

void pollCommands() {
#if !(SITWATCH_VARIANT == SITWATCH_MATRIX && MATRIX_BINARY)
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\r') continue;
    if (c != '\n') {
      if (commandLen < 100) {
        command[commandLen++] = c;
      } else {
        commandTooLong = true;
      }
      continue;
    }
    command[commandLen] = 0;
    if (!commandTooLong && commandLen > 0) {
      if (parseCommand(command)) {
        startPattern(millis());  // a new command replaces the one still playing
        Serial.print(F("# ok "));
      } else {
        Serial.print(F("# ignored: "));
      }
      Serial.println(command);
    }
    commandLen = 0;
    commandTooLong = false;
  }
#endif
}

// ---------------------------------------------------------------------------------------------
// The multiplexers (FSRs through a mux, and the matrix).
// ---------------------------------------------------------------------------------------------
#if (SITWATCH_VARIANT == SITWATCH_FSR && FSR_VIA_MUX) || SITWATCH_VARIANT == SITWATCH_MATRIX
const uint8_t SENSE_SELECT[4] = {SENSE_SELECT_PINS};

void selectChannel(const uint8_t *pins, uint8_t channel) {
  for (uint8_t b = 0; b < 4; b++) digitalWrite(pins[b], (channel >> b) & 1 ? HIGH : LOW);
}

void setupSenseMux() {
  for (uint8_t b = 0; b < 4; b++) pinMode(SENSE_SELECT[b], OUTPUT);
  pinMode(MUX_SIG_PIN, INPUT);
}
#endif

void setupAdc() {
#if defined(ARDUINO_ARCH_ESP32)
  analogReadResolution(10);  // 0..1023, as on an Uno: the same layouts fit both
#endif
}

// ---------------------------------------------------------------------------------------------
// Variant: FSRs
// ---------------------------------------------------------------------------------------------
#if SITWATCH_VARIANT == SITWATCH_FSR
#if FSR_VIA_MUX
const uint8_t CHANNELS = FSR_COUNT;
#else
const uint8_t FSR_PIN[] = {FSR_PINS};
const uint8_t CHANNELS = sizeof(FSR_PIN) / sizeof(FSR_PIN[0]);
#endif

void setupSensors() {
  setupAdc();
#if FSR_VIA_MUX
  setupSenseMux();
#endif
}

uint16_t readFsr(uint8_t i) {
#if FSR_VIA_MUX
  selectChannel(SENSE_SELECT, i);
  delayMicroseconds(10);
  const uint8_t pin = MUX_SIG_PIN;
#else
  const uint8_t pin = FSR_PIN[i];
#endif
  analogRead(pin);  // the ADC's sample capacitor still holds the last pin: one read to settle
  uint32_t sum = 0;
  for (uint8_t k = 0; k < FSR_OVERSAMPLE; k++) sum += (uint32_t)analogRead(pin);
  return (uint16_t)((sum + FSR_OVERSAMPLE / 2) / FSR_OVERSAMPLE);
}

bool sendFrame() {
#if SEND_TIMESTAMP
  Serial.print(millis());
  Serial.print(',');
#endif
  for (uint8_t i = 0; i < CHANNELS; i++) {
    if (i) Serial.print(',');
    Serial.print(readFsr(i));
  }
  Serial.println();
  return true;
}

void declare() {
  Serial.print(F("# sitwatch-cushion fw=" FW_VERSION " variant=" VARIANT_NAME " channels="));
  Serial.print(CHANNELS);
#if SEND_TIMESTAMP
  Serial.print(F(" time=ms"));
#endif
  Serial.println();
}

void serviceSensors() {}

// ---------------------------------------------------------------------------------------------
// Variant: four load cells on HX711 boards (read by hand: 24 clock pulses, MSB first)
// ---------------------------------------------------------------------------------------------
#elif SITWATCH_VARIANT == SITWATCH_HX711
const uint8_t HX_DOUT[] = {HX711_DOUT_PINS};
const uint8_t CHANNELS = sizeof(HX_DOUT) / sizeof(HX_DOUT[0]);
int32_t zero[CHANNELS];
int32_t latest[CHANNELS];
uint8_t tareLeft = HX711_TARE_AT_START ? HX711_TARE_SAMPLES + 2 : 0;  // 2 thrown away
int32_t tareSum[CHANNELS];
bool haveReading = false;
unsigned long lastReading = 0;

#if defined(ARDUINO_ARCH_ESP32)
portMUX_TYPE hxLock = portMUX_INITIALIZER_UNLOCKED;
#endif

// One clock pulse. The HX711 powers down if the clock stays high for 60 us, so no interrupt
// may stretch the high half; the low half may take as long as it likes.
void hxPulse() {
#if defined(ARDUINO_ARCH_ESP32)
  portENTER_CRITICAL(&hxLock);
#else
  noInterrupts();
#endif
  digitalWrite(HX711_SCK_PIN, HIGH);
  delayMicroseconds(1);
  digitalWrite(HX711_SCK_PIN, LOW);
#if defined(ARDUINO_ARCH_ESP32)
  portEXIT_CRITICAL(&hxLock);
#else
  interrupts();
#endif
  delayMicroseconds(1);
}

// A conversion is ready when DOUT is low; with a shared clock all of them must be.
bool hxAllReady() {
  for (uint8_t i = 0; i < CHANNELS; i++)
    if (digitalRead(HX_DOUT[i]) == HIGH) return false;
  return true;
}

// Clocks the 24 data bits out of every board at once (two's complement, MSB first).
void hxReadAll(int32_t *out) {
  uint32_t bits[CHANNELS];
  for (uint8_t i = 0; i < CHANNELS; i++) bits[i] = 0;
  for (uint8_t b = 0; b < 24; b++) {
    hxPulse();
    for (uint8_t i = 0; i < CHANNELS; i++)
      bits[i] = (bits[i] << 1) | (digitalRead(HX_DOUT[i]) == HIGH ? 1UL : 0UL);
  }
  for (uint8_t p = 0; p < HX711_GAIN_PULSES; p++) hxPulse();
  for (uint8_t i = 0; i < CHANNELS; i++) {
    int32_t v = (int32_t)bits[i];
    if (v & 0x800000L) v -= 0x1000000L;  // sign of a 24-bit number
    out[i] = v;
  }
}

void setupSensors() {
  pinMode(HX711_SCK_PIN, OUTPUT);
  digitalWrite(HX711_SCK_PIN, LOW);  // a high clock would keep them powered down
  for (uint8_t i = 0; i < CHANNELS; i++) {
    pinMode(HX_DOUT[i], INPUT_PULLUP);  // an unplugged board reads "not ready"
    zero[i] = 0;
    tareSum[i] = 0;
  }
}

void serviceSensors() {
  if (!hxAllReady()) return;
  int32_t raw[CHANNELS];
  hxReadAll(raw);
  lastReading = millis();
  if (tareLeft > 0) {
    tareLeft--;
    if (tareLeft < HX711_TARE_SAMPLES)
      for (uint8_t i = 0; i < CHANNELS; i++) tareSum[i] += raw[i] / HX711_TARE_SAMPLES;
    if (tareLeft == 0)
      for (uint8_t i = 0; i < CHANNELS; i++) zero[i] = tareSum[i];
    return;
  }
  for (uint8_t i = 0; i < CHANNELS; i++) latest[i] = raw[i];
  haveReading = true;
}

bool sendFrame() {
  // Nothing before the tare is done, and nothing stale if a board stopped answering.
  if (!haveReading || millis() - lastReading > 1000) return false;
#if SEND_TIMESTAMP
  Serial.print(millis());
  Serial.print(',');
#endif
  for (uint8_t i = 0; i < CHANNELS; i++) {
    if (i) Serial.print(',');
    int32_t v = (latest[i] - zero[i]) / HX711_DIVIDER + HX711_BIAS;
    if (v < 0) v = 0;
    if (v > 65535L) v = 65535L;
    Serial.print(v);
  }
  Serial.println();
  return true;
}

void declare() {
  Serial.print(F("# sitwatch-cushion fw=" FW_VERSION " variant=" VARIANT_NAME " channels="));
  Serial.print(CHANNELS);
#if SEND_TIMESTAMP
  Serial.print(F(" time=ms"));
#endif
  Serial.println();
  if (millis() - lastReading > 1000) {
    // Say which board is silent (DOUT stays high): a loose wire or no power.
    Serial.print(F("# waiting for HX711 data on pins"));
    for (uint8_t i = 0; i < CHANNELS; i++) {
      if (digitalRead(HX_DOUT[i]) == HIGH) {
        Serial.print(' ');
        Serial.print(HX_DOUT[i]);
      }
    }
    Serial.println();
  }
}

// ---------------------------------------------------------------------------------------------
// Variant: a velostat matrix. The drive mux connects one column strip to the supply; the sense
// mux connects one row strip to MUX_SIG_PIN, which a resistor pulls to ground. Pressing a cell
// lowers its resistance, so the reading rises with the load.
// ---------------------------------------------------------------------------------------------
#elif SITWATCH_VARIANT == SITWATCH_MATRIX
const uint8_t DRIVE_SELECT[4] = {DRIVE_SELECT_PINS};
const uint16_t CHANNELS = (uint16_t)MATRIX_ROWS * MATRIX_COLS;

void setupSensors() {
  setupAdc();
  setupSenseMux();
  for (uint8_t b = 0; b < 4; b++) pinMode(DRIVE_SELECT[b], OUTPUT);
}

// One cell of the row the sense mux has selected, as a byte; column c from the sitter's left.
uint8_t readCell(uint8_t c) {
  selectChannel(DRIVE_SELECT, c);
  delayMicroseconds(MATRIX_SETTLE_US);
  return (uint8_t)(analogRead(MUX_SIG_PIN) >> 2);  // 0..1023 -> 0..255
}

#if MATRIX_BINARY
bool sendFrame() { return false; }
void declare() {}
void serviceSensors() {
  // Answer each poll byte with exactly one frame; any other byte is ignored.
  while (Serial.available() > 0) {
    if (Serial.read() != MATRIX_POLL_BYTE) continue;
    for (uint8_t r = 0; r < MATRIX_ROWS; r++) {
      selectChannel(SENSE_SELECT, r);
      for (uint8_t c = 0; c < MATRIX_COLS; c++) Serial.write(readCell(c));
    }
  }
}
#else
bool sendFrame() {
#if SEND_TIMESTAMP
  Serial.print(millis());
  Serial.print(',');
#endif
  for (uint8_t r = 0; r < MATRIX_ROWS; r++) {
    selectChannel(SENSE_SELECT, r);
    for (uint8_t c = 0; c < MATRIX_COLS; c++) {
      if (r || c) Serial.print(',');
      Serial.print(readCell(c));
    }
    pollCommands();  // a long frame: keep the buzzer's input moving
  }
  Serial.println();
  return true;
}

void declare() {
  Serial.print(F("# sitwatch-cushion fw=" FW_VERSION " variant=" VARIANT_NAME " rows="));
  Serial.print(MATRIX_ROWS);
  Serial.print(F(" cols="));
  Serial.print(MATRIX_COLS);
#if SEND_TIMESTAMP
  Serial.print(F(" time=ms"));
#endif
  Serial.println();
}

void serviceSensors() {}
#endif
#endif

// ---------------------------------------------------------------------------------------------
// setup() and loop(): a frame every FRAME_PERIOD_MS, the declaration now and then, commands
// and the buzzer in between.
// ---------------------------------------------------------------------------------------------
unsigned long nextFrame = 0;
unsigned long nextDeclaration = 0;

void setup() {
  Serial.begin(SERIAL_BAUD);
#if BUZZER_PIN >= 0
  pinMode(BUZZER_PIN, OUTPUT);
#endif
  buzzer(false);
  setupSensors();
  nextFrame = nextDeclaration = millis();
}

void loop() {
  unsigned long now = millis();
  pollCommands();
  servicePattern(now);
  serviceSensors();
#if !(SITWATCH_VARIANT == SITWATCH_MATRIX && MATRIX_BINARY)
  if ((long)(now - nextDeclaration) >= 0) {
    declare();
    nextDeclaration = now + DECLARE_EVERY_MS;
  }
  if ((long)(now - nextFrame) >= 0) {
    sendFrame();
    nextFrame += FRAME_PERIOD_MS;
    if ((long)(now - nextFrame) >= 0) nextFrame = now + FRAME_PERIOD_MS;  // fell behind
  }
#endif
}
