"""Message settings: the SMTP server (password to this computer's keyring), the SMS gateway (API
key likewise), which automatic messages the practice sends, recall intervals, website and brand."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from ils_desktop.errors import NoKeyring, ValidationFailed
from ils_desktop.services.messaging import settings as message_settings
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace


class SettingsPanel(QScrollArea):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 12, 12, 0)
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(14)

        email = QGroupBox("Email (SMTP)")
        form = QFormLayout(email)
        self.host, self.port = QLineEdit(), QSpinBox()
        self.host.setObjectName("smtpHost")
        self.port.setRange(1, 65535)
        self.security = QComboBox()
        for key, label in message_settings.SECURITY_MODES.items():
            self.security.addItem(label, key)
        self.username, self.password = QLineEdit(), QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Unchanged (kept in this computer's password store)")
        self.from_address, self.from_name, self.reply_to = QLineEdit(), QLineEdit(), QLineEdit()
        for label, widget in (("Server", self.host), ("Port", self.port), ("Security", self.security),
                              ("User name", self.username), ("Password", self.password),
                              ("From address", self.from_address), ("From name", self.from_name),
                              ("Replies to", self.reply_to)):
            form.addRow(label, widget)
        grid.addWidget(email, 0, 0)

        sms = QGroupBox("Text messages (SMS gateway)")
        form = QFormLayout(sms)
        self.sms_url, self.sender_id, self.api_key = QLineEdit(), QLineEdit(), QLineEdit()
        self.sms_url.setPlaceholderText("https://api.your-gateway.co.uk/v1")
        self.sender_id.setPlaceholderText("Up to 11 letters, e.g. HarbourVw")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("Unchanged (kept in this computer's password store)")
        for label, widget in (("Gateway address", self.sms_url), ("Sender name", self.sender_id),
                              ("API key", self.api_key)):
            form.addRow(label, widget)
        note = QLabel("Passwords and keys are kept in the password store of the computer you save them on: "
                      "save them on the computer that runs the background service (ils-desktop serve).")
        note.setWordWrap(True)
        note.setProperty("role", "hint")
        form.addRow(note)
        grid.addWidget(sms, 0, 1)

        auto = QGroupBox("Automatic messages")
        form = QFormLayout(auto)
        self.reminders = QCheckBox("Appointment reminders")
        self.hours = QSpinBox()
        self.hours.setRange(1, 168)
        self.hours.setSuffix(" hours before")
        self.order_ready = QCheckBox("“Your glasses are ready” when an order is ready to collect")
        self.reviews = QCheckBox("Thank-you with the review link after a sale (marketing consent only)")
        self.second, self.third = QSpinBox(), QSpinBox()
        for box in (self.second, self.third):
            box.setRange(7, 365)
            box.setSuffix(" days")
        form.addRow(self.reminders, self.hours)
        form.addRow(self.order_ready)
        form.addRow(self.reviews)
        form.addRow("Second recall reminder after", self.second)
        form.addRow("Third recall reminder after", self.third)
        grid.addWidget(auto, 1, 0)

        brand = QGroupBox("Practice")
        form = QFormLayout(brand)
        self.website, self.review_link, self.colour = QLineEdit(), QLineEdit(), QLineEdit()
        self.colour.setPlaceholderText("#1d4e6b")
        for label, widget in (("Website", self.website), ("Review link", self.review_link),
                              ("Brand colour", self.colour)):
            form.addRow(label, widget)
        grid.addWidget(brand, 1, 1)

        actions = QHBoxLayout()
        self.message = QLabel()
        self.message.setObjectName("messageSettingsMessage")
        self.message.setWordWrap(True)
        self.message.setProperty("role", "hint")
        self.save_button = QPushButton("Save settings")
        self.save_button.setObjectName("saveMessageSettings")
        self.save_button.setProperty("role", "primary")
        actions.addWidget(self.message, 1)
        actions.addWidget(self.save_button)
        grid.addLayout(actions, 2, 0, 1, 2)
        grid.setRowStretch(3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.setWidget(body)
        self.save_button.clicked.connect(self.save)

    def refresh(self) -> None:
        run_op(lambda: self.workspace.call(message_settings.message_settings), on_done=self._loaded, parent=self)

    def _loaded(self, s: message_settings.MessageSettings) -> None:
        self.host.setText(s.smtp.host)
        self.port.setValue(s.smtp.port)
        self.security.setCurrentIndex(max(0, self.security.findData(s.smtp.security)))
        self.username.setText(s.smtp.username)
        self.from_address.setText(s.smtp.from_address)
        self.from_name.setText(s.smtp.from_name)
        self.reply_to.setText(s.smtp.reply_to)
        self.sms_url.setText(s.sms.url)
        self.sender_id.setText(s.sms.sender_id)
        self.reminders.setChecked(s.automatic.appointment_reminders)
        self.hours.setValue(s.automatic.reminder_hours_before)
        self.order_ready.setChecked(s.automatic.order_ready)
        self.reviews.setChecked(s.automatic.review_requests)
        self.second.setValue(s.automatic.second_reminder_days)
        self.third.setValue(s.automatic.third_reminder_days)
        self.website.setText(s.practice.website)
        self.review_link.setText(s.practice.review_link)
        self.colour.setText(s.practice.brand_colour)

    def save(self) -> None:
        m = message_settings
        new = m.MessageSettings(
            m.SmtpSettings(self.host.text().strip(), self.port.value(), self.security.currentData(),
                           self.username.text().strip(), self.from_address.text().strip(),
                           self.from_name.text().strip(), self.reply_to.text().strip()),
            m.SmsSettings(self.sms_url.text().strip(), self.sender_id.text().strip()),
            m.AutomaticSettings(self.reminders.isChecked(), self.hours.value(), self.order_ready.isChecked(),
                                self.reviews.isChecked(), self.second.value(), self.third.value()),
            m.PracticeMessaging(self.website.text().strip(), self.review_link.text().strip(),
                                self.colour.text().strip() or "#1d4e6b"))
        password, api_key = self.password.text(), self.api_key.text()
        call = self.workspace.call

        def work() -> str:
            call(m.save_message_settings, new)
            try:
                call(m.save_message_secrets, password, api_key)
            except NoKeyring as error:
                return f" {error}"
            return ""

        def done(problem: str) -> None:
            self.password.clear()
            self.api_key.clear()
            self.message.setText("Settings saved." + problem)

        def failed(error: BaseException) -> bool:
            if isinstance(error, ValidationFailed):
                self.message.setText(" ".join(error.problems.values()))
                return True
            return False

        run_op(work, on_done=done, on_error=failed, parent=self)
