package domain

// Service codes (docs/DOMAIN.md §6).
const (
	ServiceCertificate           = "certificate"
	ServiceArrivalNotification   = "arrival_notification"
	ServiceStayRegistration      = "stay_registration"
	ServiceResidenceRegistration = "residence_registration"
	ServicePatent                = "patent"
	ServiceWorkPermit            = "work_permit"
	ServiceRVP                   = "rvp"
	ServiceVNZh                  = "vnzh"
	ServiceInnIssue              = "inn_issue"
	ServiceSnilsIssue            = "snils_issue"
)

// Certificate kinds (справки) the certificate service issues.
const (
	CertificatePlaceOfResidence = "place_of_residence"
	CertificateRightToWork      = "right_to_work"
	CertificateStayStatus       = "stay_status"
	CertificateNoViolations     = "no_violations"
)

// Document requirements shared by several services.
var (
	needIdentity = DocumentRequirement{Code: "identity_document", Kind: DocumentKindIdentity,
		Label: Text{"Документ, удостоверяющий личность", "Identity document"}}
	needMigrationCard = DocumentRequirement{Code: DocMigrationCard, Kind: DocumentKindStayRight,
		Types: []string{DocMigrationCard}, Label: Text{"Миграционная карта", "Migration card"}}
	needStayRight = DocumentRequirement{Code: "stay_right_document", Kind: DocumentKindStayRight,
		Label: Text{"Документ, подтверждающий право пребывания", "Stay-right document"}}
	needResidenceBasis = DocumentRequirement{Code: "residence_permit_or_rvp",
		Types: []string{DocTemporaryResidencePermit, DocResidencePermit},
		Label: Text{"РВП или вид на жительство", "Temporary residence permit or residence permit"}}
)

// catalogEntries is the catalog, in the order it is shown. Fees are the
// state duties of the Tax Code, art. 333.28 (as amended in 2024–2025: work
// permit and patent 4 200 ₽, RVP 1 920 ₽, VNZh 6 000 ₽, extension of stay
// 1 000 ₽, registration at the place of residence 1 000 ₽); the arrival
// notification is kept free here because its flow is fixed by the clients'
// contract. Deadlines follow the administrative regulations (patent 10
// working days, work permit 15, RVP about two months, VNZh about four) and
// the portal's own figures (INN 3–5 working days, SNILS up to 10).
var catalogEntries = []Service{
	{
		Code:        ServiceCertificate,
		Name:        Text{"Справка", "Certificate"},
		Description: Text{"Справка о месте жительства, праве на работу, миграционном статусе или отсутствии нарушений миграционного законодательства", "A certificate of place of residence, right to work, stay status or no migration violations"},
		Level:       LevelSimplified,
		Fields: []FormField{
			enumField("kind", Text{"Вид справки", "Kind of certificate"}, true,
				option{CertificatePlaceOfResidence, Text{"О месте жительства", "Place of residence"}},
				option{CertificateRightToWork, Text{"О праве на работу", "Right to work"}},
				option{CertificateStayStatus, Text{"О миграционном статусе", "Stay status"}},
				option{CertificateNoViolations, Text{"Об отсутствии нарушений", "No migration violations"}}),
			textField("purpose", Text{"Цель получения", "Purpose"}, true, 1000),
		},
		DeadlineDays:     5,
		ResultType:       "certificate",
		CertificateKinds: []string{CertificatePlaceOfResidence, CertificateRightToWork, CertificateStayStatus, CertificateNoViolations},
	},
	{
		Code:         ServiceArrivalNotification,
		Name:         Text{"Уведомление о прибытии", "Arrival notification"},
		Description:  Text{"Постановка на миграционный учёт по месту пребывания в течение 7 рабочих дней после прибытия", "Migration registration at the place of stay within 7 working days of arrival"},
		Level:        LevelConfirmed,
		RequiresStay: true,
		Fields: []FormField{
			{Name: "arrival_date", Type: FieldDate, Required: true, Label: Text{"Дата прибытия", "Arrival date"},
				NotFuture: true, MaxWorkingDaysAgo: 7, LateCode: CodeNotificationLate},
			addressField("host_address", Text{"Адрес места пребывания", "Address of stay"}, true),
			{Name: "stay_until", Type: FieldDate, Required: true, Label: Text{"Срок пребывания до", "Staying until"},
				NotPast: true, After: "arrival_date"},
			purposeField(),
		},
		Documents:    []DocumentRequirement{needIdentity, needMigrationCard},
		DeadlineDays: 3,
		ResultType:   "arrival_notification_receipt",
	},
	{
		Code:         ServiceStayRegistration,
		Name:         Text{"Продление регистрации по месту пребывания", "Extension of stay registration"},
		Description:  Text{"Продление срока временного пребывания и учёта по месту пребывания или учёт по новому адресу", "Extending the stay and its registration, or registering at a new address of stay"},
		Level:        LevelConfirmed,
		RequiresStay: true,
		Fields: []FormField{
			enumField("basis", Text{"Основание", "Basis"}, true,
				option{"extension", Text{"Продление срока пребывания", "Extension of stay"}},
				option{"new_address", Text{"Смена адреса пребывания", "New address of stay"}}),
			addressField("address", Text{"Адрес места пребывания", "Address of stay"}, true),
			enumField("host_type", Text{"Принимающая сторона", "Host"}, true,
				option{"individual", Text{"Физическое лицо", "Individual"}},
				option{"organization", Text{"Организация", "Organisation"}}),
			stringField("host_name", Text{"ФИО или наименование принимающей стороны", "Host's name"}, true, 300),
			{Name: "stay_from", Type: FieldDate, Required: true, Label: Text{"Пребывание с", "Staying from"}, NotFuture: true},
			{Name: "stay_until", Type: FieldDate, Required: true, Label: Text{"Пребывание до", "Staying until"},
				NotPast: true, After: "stay_from"},
			purposeField(),
		},
		Documents:    []DocumentRequirement{needIdentity, needStayRight},
		Fee:          rub(1000),
		DeadlineDays: 3,
		ResultType:   "stay_registration_receipt",
	},
	{
		Code:         ServiceResidenceRegistration,
		Name:         Text{"Регистрация по месту жительства", "Residence registration"},
		Description:  Text{"Регистрация по месту жительства для владельцев РВП и вида на жительство", "Registration at the place of residence for holders of an RVP or a residence permit"},
		Level:        LevelConfirmed,
		RequiresStay: true,
		Fields: []FormField{
			addressField("address", Text{"Адрес места жительства", "Address of residence"}, true),
			{Name: "move_in_date", Type: FieldDate, Required: true, Label: Text{"Дата вселения", "Move-in date"}, NotFuture: true},
			enumField("housing", Text{"Право пользования жильём", "Right to the dwelling"}, true,
				option{"owner", Text{"Собственник", "Owner"}},
				option{"tenant", Text{"Наниматель (аренда)", "Tenant"}},
				option{"family_member", Text{"Член семьи собственника", "Owner's family member"}},
				option{"other", Text{"Иное", "Other"}}),
			stringField("owner_name", Text{"ФИО собственника жилья", "Owner of the dwelling"}, false, 300),
			{Name: "owner_consent", Type: FieldBool, Required: true, Label: Text{"Согласие собственника получено", "Owner's consent obtained"}},
		},
		Documents:    []DocumentRequirement{needIdentity, needResidenceBasis},
		Fee:          rub(1000),
		DeadlineDays: 6,
		ResultType:   "residence_registration_certificate",
	},
	{
		Code:         ServicePatent,
		Name:         Text{"Патент на работу", "Work patent"},
		Description:  Text{"Оформление патента для работы у физических лиц или организаций в одном регионе", "A patent to work for individuals or organisations in one region"},
		Level:        LevelConfirmed,
		RequiresStay: true,
		Fields: []FormField{
			stringField("region", Text{"Регион действия патента", "Region of the patent"}, true, 100),
			stringField("profession", Text{"Профессия (специальность, должность)", "Profession"}, true, 200),
			enumField("employer_type", Text{"Работодатель", "Employer"}, true,
				option{"individual", Text{"Физическое лицо", "Individual"}},
				option{"organization", Text{"Организация или ИП", "Organisation or sole trader"}}),
			stringField("employer_name", Text{"Наименование работодателя", "Employer's name"}, false, 300),
			innField("employer_inn", Text{"ИНН работодателя", "Employer's INN"}, false),
			{Name: "period_months", Type: FieldInt, Required: true, Label: Text{"Срок, месяцев", "Period, months"},
				Min: i64(1), Max: i64(12)},
			{Name: "arrival_date", Type: FieldDate, Required: true, Label: Text{"Дата въезда", "Date of entry"}, NotFuture: true},
		},
		Documents:    []DocumentRequirement{needIdentity, needMigrationCard},
		Fee:          rub(4200),
		DeadlineDays: 10,
		ResultType:   DocPatent,
	},
	{
		Code:         ServiceWorkPermit,
		Name:         Text{"Разрешение на работу", "Work permit"},
		Description:  Text{"Разрешение на работу у работодателя, получившего разрешение на привлечение иностранных работников", "A permit to work for an employer allowed to hire foreign workers"},
		Level:        LevelConfirmed,
		RequiresStay: true,
		Fields: []FormField{
			stringField("employer_name", Text{"Наименование работодателя", "Employer's name"}, true, 300),
			innField("employer_inn", Text{"ИНН работодателя", "Employer's INN"}, true),
			addressField("work_address", Text{"Адрес места работы", "Place of work"}, true),
			stringField("position", Text{"Должность", "Position"}, true, 200),
			{Name: "contract_start", Type: FieldDate, Required: true, Label: Text{"Начало работы", "Start of work"}},
			{Name: "contract_end", Type: FieldDate, Label: Text{"Окончание договора", "End of contract"}, After: "contract_start"},
			{Name: "highly_qualified", Type: FieldBool, Label: Text{"Высококвалифицированный специалист", "Highly qualified specialist"}},
		},
		Documents:    []DocumentRequirement{needIdentity, needMigrationCard},
		Fee:          rub(4200),
		DeadlineDays: 15,
		ResultType:   DocWorkPermit,
	},
	{
		Code:         ServiceRVP,
		Name:         Text{"Разрешение на временное проживание (РВП)", "Temporary residence permit (RVP)"},
		Description:  Text{"Заявление о выдаче разрешения на временное проживание в пределах квоты или без её учёта", "Applying for a temporary residence permit, within the quota or outside it"},
		Level:        LevelConfirmed,
		RequiresStay: true,
		Fields: []FormField{
			enumField("basis", Text{"Основание", "Basis"}, true,
				option{"quota", Text{"В пределах квоты", "Within the quota"}},
				option{"marriage", Text{"Брак с гражданином РФ", "Marriage to a Russian citizen"}},
				option{"family", Text{"Родственник гражданина РФ", "Relative of a Russian citizen"}},
				option{"education", Text{"Обучение в РФ", "Studies in Russia"}},
				option{"birth_in_russia", Text{"Рождение в РСФСР / РФ", "Born in the RSFSR / Russia"}},
				option{"other", Text{"Иное основание закона", "Other legal ground"}}),
			addressField("address", Text{"Адрес планируемого проживания", "Intended address"}, true),
			enumField("marital_status", Text{"Семейное положение", "Marital status"}, true, maritalOptions...),
			stringField("occupation", Text{"Род занятий", "Occupation"}, false, 200),
			{Name: "criminal_record", Type: FieldBool, Required: true, Label: Text{"Имеется судимость", "Has a criminal record"}},
			{Name: "language_certificate", Type: FieldBool, Required: true, Label: Text{"Сертификат о знании русского языка", "Russian language certificate"}},
		},
		Documents:    []DocumentRequirement{needIdentity, needStayRight},
		Fee:          rub(1920),
		DeadlineDays: 40,
		ResultType:   DocTemporaryResidencePermit,
	},
	{
		Code:         ServiceVNZh,
		Name:         Text{"Вид на жительство (ВНЖ)", "Residence permit (VNZh)"},
		Description:  Text{"Заявление о выдаче вида на жительство", "Applying for a residence permit"},
		Level:        LevelConfirmed,
		RequiresStay: true,
		Fields: []FormField{
			enumField("basis", Text{"Основание", "Basis"}, true,
				option{"rvp_holder", Text{"Проживание по РВП", "Holder of an RVP"}},
				option{"native_speaker", Text{"Носитель русского языка", "Native speaker of Russian"}},
				option{"family", Text{"Член семьи гражданина РФ", "Family of a Russian citizen"}},
				option{"highly_qualified", Text{"Высококвалифицированный специалист", "Highly qualified specialist"}},
				option{"investor", Text{"Инвестор", "Investor"}},
				option{"other", Text{"Иное основание закона", "Other legal ground"}}),
			addressField("address", Text{"Адрес проживания", "Address"}, true),
			enumField("marital_status", Text{"Семейное положение", "Marital status"}, true, maritalOptions...),
			enumField("income_source", Text{"Источник средств к существованию", "Source of income"}, true,
				option{"employment", Text{"Работа по найму", "Employment"}},
				option{"business", Text{"Предпринимательство", "Business"}},
				option{"pension", Text{"Пенсия", "Pension"}},
				option{"family_support", Text{"Содержание семьёй", "Family support"}},
				option{"other", Text{"Иное", "Other"}}),
			{Name: "monthly_income", Type: FieldInt, Label: Text{"Доход в месяц, ₽", "Monthly income, RUB"}, Min: i64(0)},
			{Name: "criminal_record", Type: FieldBool, Required: true, Label: Text{"Имеется судимость", "Has a criminal record"}},
		},
		Documents:    []DocumentRequirement{needIdentity, needStayRight},
		Fee:          rub(6000),
		DeadlineDays: 80,
		ResultType:   DocResidencePermit,
	},
	{
		Code:         ServiceInnIssue,
		Name:         Text{"Получение ИНН", "INN issue"},
		Description:  Text{"Постановка на учёт в налоговом органе и присвоение ИНН", "Tax registration and an INN"},
		Level:        LevelStandard,
		RequiresStay: true,
		Fields: []FormField{
			enumField("purpose", Text{"Цель получения", "Purpose"}, true,
				option{"employment", Text{"Трудоустройство", "Employment"}},
				option{"bank_account", Text{"Открытие счёта", "Bank account"}},
				option{"business", Text{"Предпринимательская деятельность", "Business"}},
				option{"tax_return", Text{"Налоговая декларация", "Tax return"}},
				option{"other", Text{"Иное", "Other"}}),
			addressField("address", Text{"Адрес в России", "Address in Russia"}, true),
			{Name: "paper_copy", Type: FieldBool, Label: Text{"Нужно свидетельство на бумаге", "Paper certificate wanted"}},
		},
		Documents:    []DocumentRequirement{needIdentity, needStayRight},
		DeadlineDays: 5,
		ResultType:   "inn_certificate",
	},
	{
		Code:        ServiceSnilsIssue,
		Name:        Text{"Документ о регистрации в СФР (СНИЛС)", "SNILS notice"},
		Description: Text{"Выдача документа, подтверждающего регистрацию в системе индивидуального учёта", "A document confirming registration in the personal pension record system"},
		Level:       LevelStandard,
		Fields: []FormField{
			addressField("address", Text{"Адрес в России", "Address in Russia"}, true),
			stringField("employer_name", Text{"Работодатель", "Employer"}, false, 300),
			enumField("delivery", Text{"Способ получения", "Delivery"}, true,
				option{"electronic", Text{"В личный кабинет", "To the cabinet"}},
				option{"service_center", Text{"В центре обслуживания", "At a service centre"}},
				option{"post", Text{"Почтой", "By post"}}),
		},
		Documents:    []DocumentRequirement{needIdentity},
		DeadlineDays: 10,
		ResultType:   "snils_notice",
	},
}

// option is one value of an enum field and its caption.
type option struct {
	value string
	label Text
}

var maritalOptions = []option{
	{"single", Text{"Не состоит в браке", "Single"}},
	{"married", Text{"Состоит в браке", "Married"}},
	{"divorced", Text{"Разведён(а)", "Divorced"}},
	{"widowed", Text{"Вдовец / вдова", "Widowed"}},
}

func enumField(name string, label Text, required bool, opts ...option) FormField {
	f := FormField{Name: name, Type: FieldEnum, Required: required, Label: label, EnumLabels: map[string]Text{}}
	for _, o := range opts {
		f.Enum = append(f.Enum, o.value)
		f.EnumLabels[o.value] = o.label
	}
	return f
}

func stringField(name string, label Text, required bool, maxLen int) FormField {
	return FormField{Name: name, Type: FieldString, Required: required, Label: label, MaxLength: maxLen}
}

func textField(name string, label Text, required bool, maxLen int) FormField {
	return FormField{Name: name, Type: FieldText, Required: required, Label: label, MaxLength: maxLen}
}

func addressField(name string, label Text, required bool) FormField {
	return FormField{Name: name, Type: FieldAddress, Required: required, Label: label}
}

// innField is a company's (10 digits) or a sole trader's (12 digits) INN,
// its check digits verified.
func innField(name string, label Text, required bool) FormField {
	return FormField{Name: name, Type: FieldString, Required: required, Label: label,
		Pattern: `[0-9]{10}|[0-9]{12}`, Checksum: ChecksumInn}
}

// purposeField is the purpose of stay of the migration forms.
func purposeField() FormField {
	return enumField("purpose", Text{"Цель пребывания", "Purpose of stay"}, true,
		option{"work", Text{"Работа", "Work"}},
		option{"study", Text{"Учёба", "Study"}},
		option{"tourism", Text{"Туризм", "Tourism"}},
		option{"private", Text{"Частная", "Private"}},
		option{"business", Text{"Деловая", "Business"}})
}
